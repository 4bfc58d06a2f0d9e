"""Admin pages of response-time terms: targets per agreement and priority, and the clock's
behaviour per agreement (warning, pauses, breach action). Scoped, role-gated and audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from comanaged.core.errors import Problem
from comanaged.sla.models import ResponseTarget, ResponseTerms
from comanaged.sla.services import (
    response_target_problems,
    response_target_save,
    response_terms_problems,
    response_terms_save,
)
from comanaged.tenancy.admin_base import ScopedAdmin
from comanaged.tenancy.permissions import Area


class AgreementTermsAdmin(ScopedAdmin):
    """Terms stay with their agreement once saved (and so with its client)."""

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "agreement"] if obj is not None and "agreement" not in fields else fields


@admin.register(ResponseTarget)
class ResponseTargetAdmin(AgreementTermsAdmin):
    area = Area.AGREEMENTS
    list_display = ("agreement", "priority", "respond_minutes", "vip_respond_minutes", "resolve_minutes", "clock")
    list_filter = ("priority", "clock")
    fields = ("agreement", "priority", "respond_minutes", "vip_respond_minutes", "resolve_minutes", "clock")

    def problems(self, instance: ResponseTarget, cleaned_data: dict[str, Any]) -> list[Problem]:
        if instance.agreement_id:
            instance.client_id = instance.agreement.client_id
        return response_target_problems(instance)

    def save_with(self, instance: ResponseTarget, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return response_target_save(target=instance, actor=actor)


@admin.register(ResponseTerms)
class ResponseTermsAdmin(AgreementTermsAdmin):
    """Terms apply to clocks started after a change; running clocks are not re-targeted."""

    area = Area.AGREEMENTS
    list_display = (
        "agreement",
        "warning_percent",
        "pause_waiting_on_client",
        "pause_waiting_on_vendor",
        "breach_action",
    )
    list_filter = ("breach_action", "pause_waiting_on_client", "pause_waiting_on_vendor")
    fields = ("agreement", "warning_percent", "pause_waiting_on_client", "pause_waiting_on_vendor", "breach_action")

    def problems(self, instance: ResponseTerms, cleaned_data: dict[str, Any]) -> list[Problem]:
        if instance.agreement_id:
            instance.client_id = instance.agreement.client_id
        return response_terms_problems(instance)

    def save_with(self, instance: ResponseTerms, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return response_terms_save(terms=instance, actor=actor)
