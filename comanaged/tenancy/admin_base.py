"""The base of every admin page: scoped to the user's clients, opened by role, audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import Http404, HttpRequest

from comanaged.core.admin import AuditedInline, AuditedModelAdmin
from comanaged.tenancy.permissions import Area, can_edit, can_view


def _scoped(queryset: Any, user: Any) -> Any:
    return queryset.for_user(user) if hasattr(queryset, "for_user") else queryset


class RoleGated:
    """View and change rights come from the area's role table, not Django's permission rows."""

    area: Area

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request.user, self.area)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view(request.user, self.area)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return can_edit(request.user, self.area)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request.user, self.area)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_edit(request.user, self.area)


class ScopedAdmin(RoleGated, AuditedModelAdmin):
    """Rows outside the user's clients do not exist here: lists skip them, their pages are 404."""

    def get_queryset(self, request: HttpRequest) -> Any:
        return _scoped(super().get_queryset(request), request.user)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such object.")  # a foreign object looks exactly like a missing one
        return obj

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", _scoped(db_field.remote_field.model._default_manager.all(), request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """A row never moves to another client: its links (absences, agreements) would cross."""
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and any(f.name == "client" for f in self.model._meta.fields) and "client" not in fields:
            fields.append("client")
        return fields

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", _scoped(db_field.remote_field.model._default_manager.all(), request.user))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ScopedTabularInline(RoleGated, AuditedInline, admin.TabularInline):
    extra = 0

    def formfield_for_foreignkey(self, db_field: models.ForeignKey, request: HttpRequest, **kwargs: Any) -> Any:
        kwargs.setdefault("queryset", _scoped(db_field.remote_field.model._default_manager.all(), request.user))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
