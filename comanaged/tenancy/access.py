"""Access checks shared by API endpoints and pages: scoped lookups and role gates."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest

from comanaged.core.errors import ApplicationError, CoreErrorCode
from comanaged.core.pagination import require_write
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.permissions import Area, can_edit, can_view
from comanaged.tenancy.scoping import is_provider_staff

MAX_ID = 2**63 - 1
_ID_TEXT = re.compile(r"[0-9]{1,19}")


def parse_id(text: str | None) -> int | None:
    """A database id typed by a person (a ticket number, a form value), or None. ASCII digits only:
    ``"²".isdigit()`` is true but ``int("²")`` fails, and 5,000 digits exceed int parsing limits."""
    if text is None or not _ID_TEXT.fullmatch(text):
        return None
    value = int(text)
    return value if 1 <= value <= MAX_ID else None


def scoped_or_404(queryset: Any, user: Any, pk: int) -> Any:
    """The row if the user may see it; otherwise 404, exactly like a missing row."""
    if not 1 <= pk <= MAX_ID:
        raise Http404
    obj = queryset.for_user(user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


def referenced(queryset: Any, user: Any, pk: int | None, field: str) -> Any:
    """A row named in a request body: one the user may see, or a ``not_found`` problem."""
    if pk is None:
        return None
    obj = queryset.for_user(user).filter(pk=pk).first() if 1 <= pk <= MAX_ID else None
    if obj is None:
        raise ApplicationError(CoreErrorCode.NOT_FOUND, f"No such {field.removesuffix('_id')}.", field=field)
    return obj


def ensure_view(request: HttpRequest, area: Area) -> None:
    """Staff by role; a client's POC reads their client's records; an end-user only reads people
    (and then only the POCs and themselves, see ``people_for``)."""
    user = request.user
    if can_view(user, area):
        return
    person = client_person_of(user)
    if person is None:
        raise PermissionDenied
    if person.is_poc and area not in CLIENT_HIDDEN_AREAS:
        return
    if area == Area.PEOPLE:
        return
    raise PermissionDenied


CLIENT_HIDDEN_AREAS = frozenset({Area.STAFF, Area.AUDIT, Area.PROVIDER, Area.WEBHOOKS})


def client_person_of(user: Any) -> Any:
    person = getattr(user, "person", None)
    return person if person is not None and person.is_active else None


def people_for(user: Any, queryset: Any) -> Any:
    """An end-user sees who to ask (the POCs) and themselves, not the whole directory."""
    person = client_person_of(user)
    if person is not None and not person.is_poc and not can_view(user, Area.PEOPLE):
        return queryset.filter(Q(level=UserLevel.POC) | Q(pk=person.pk))
    return queryset


def is_staff_caller(request: HttpRequest | None) -> bool:
    """For serializers: internal notes are for provider staff only (asked once per request)."""
    if request is None:
        return False
    cached = getattr(request, "_comanaged_staff_caller", None)
    if cached is None:
        cached = is_provider_staff(request.user)
        request._comanaged_staff_caller = cached  # type: ignore[attr-defined]
    return bool(cached)


def ensure_edit(request: HttpRequest, area: Area) -> None:
    """Writes need a write-capable credential and a staff role that may change the area."""
    require_write(request)
    if not can_edit(request.user, area):
        raise PermissionDenied("Your role may not change this.")
