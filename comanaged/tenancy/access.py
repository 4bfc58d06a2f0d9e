"""Access checks shared by API endpoints and pages: scoped lookups and role gates."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from comanaged.core.errors import ApplicationError, CoreErrorCode
from comanaged.core.pagination import require_write
from comanaged.tenancy.permissions import Area, can_edit, can_view


def scoped_or_404(queryset: Any, user: Any, pk: int) -> Any:
    """The row if the user may see it; otherwise 404, exactly like a missing row."""
    obj = queryset.for_user(user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def referenced(queryset: Any, user: Any, pk: int | None, field: str) -> Any:
    """A row named in a request body: one the user may see, or a ``not_found`` problem."""
    if pk is None:
        return None
    obj = queryset.for_user(user).filter(pk=pk).first()
    if obj is None:
        raise ApplicationError(CoreErrorCode.NOT_FOUND, f"No such {field.removesuffix('_id')}.", field=field)
    return obj


def ensure_view(request: HttpRequest, area: Area) -> None:
    user = request.user
    if not can_view(user, area) and not _is_client_person(user):
        raise PermissionDenied


def ensure_edit(request: HttpRequest, area: Area) -> None:
    """Writes need a write-capable credential and a staff role that may change the area."""
    require_write(request)
    if not can_edit(request.user, area):
        raise PermissionDenied("Your role may not change this.")


def _is_client_person(user: Any) -> bool:
    person = getattr(user, "person", None)
    return person is not None and person.is_active
