"""Admin pages of tickets: the provider-editable category tree."""

from __future__ import annotations

from django.contrib import admin

from comanaged.tenancy.admin_base import ScopedAdmin
from comanaged.tenancy.permissions import Area
from comanaged.tickets.models import TicketCategory


@admin.register(TicketCategory)
class TicketCategoryAdmin(ScopedAdmin):
    area = Area.PROVIDER
    list_display = ("__str__", "billable_kind", "is_active")
    list_filter = ("billable_kind", "is_active", "parent")
    search_fields = ("name",)
