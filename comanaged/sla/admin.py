"""Admin page of response-time terms (per agreement and priority)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from comanaged.core.errors import Problem
from comanaged.sla.models import ResponseTarget
from comanaged.sla.services import response_target_problems, response_target_save
from comanaged.tenancy.admin_base import ScopedAdmin
from comanaged.tenancy.permissions import Area


@admin.register(ResponseTarget)
class ResponseTargetAdmin(ScopedAdmin):
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
