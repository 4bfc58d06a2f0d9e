"""Admin pages of webhooks: endpoints (created through the API, which shows the secret once)
and their deliveries, read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from comanaged.core.errors import Problem
from comanaged.tenancy.admin_base import ScopedAdmin
from comanaged.tenancy.permissions import Area
from comanaged.webhooks import services
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ScopedAdmin):
    area = Area.WEBHOOKS
    list_display = ("name", "url", "client", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    fields = ("name", "url", "events", "client", "is_active", "previous_secret_expires_at", "created_at")
    readonly_fields = ("previous_secret_expires_at", "created_at")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # the API creates endpoints and shows their secret once; a page cannot

    def problems(self, instance: Any, cleaned_data: dict[str, Any]) -> list[Problem]:
        return list(services.url_problems(instance)) if services.url_needs_check(instance) else []

    def save_with(self, instance: Any, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.webhook_endpoint_save(endpoint=instance, actor=actor)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        services.webhook_endpoint_delete(endpoint=obj, actor=request.user)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ScopedAdmin):
    area = Area.WEBHOOKS
    list_display = ("created_at", "event", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status", "event")
    search_fields = ("event_id",)
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
