"""Tenant scoping, fail-closed (GUIDE convention 3).

Every query a user can reach goes through ``for_user(user)``. Without a grant it returns
nothing; a foreign object then looks exactly like a missing one (404).

Who sees which clients:
- superusers and staff with the admin, dispatcher or billing role: every client;
- technicians: every client, unless the provider restricts them to their clients' teams;
- strategic advisors, technology alignment engineers, onboarding PMs: the clients whose team
  they are on (designating someone on an agreement puts them on the team);
- a client's person who signs in: their own client only;
- anyone else (anonymous, inactive, no profile): nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.db import models

if TYPE_CHECKING:
    from comanaged.tenancy.models import Client  # noqa: F401 - named in a type parameter

GLOBAL_ROLES = frozenset({"admin", "dispatcher", "billing"})

_M = TypeVar("_M", bound=models.Model)


@dataclass(frozen=True)
class ClientScope:
    """The clients a user may see: all of them, or a fixed set of ids (maybe empty)."""

    all_clients: bool
    client_ids: frozenset[int] = frozenset()

    def allows(self, client_id: int | None) -> bool:
        return client_id is not None and (self.all_clients or client_id in self.client_ids)


NOTHING = ClientScope(all_clients=False)
EVERYTHING = ClientScope(all_clients=True)


def client_scope(user: Any) -> ClientScope:
    """The fail-closed scope of ``user``; cached on the user object for one request."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    cached = getattr(user, "_client_scope", None)
    if cached is not None:
        return cached
    scope = _compute_scope(user)
    user._client_scope = scope
    return scope


def _compute_scope(user: Any) -> ClientScope:
    from comanaged.tenancy.models import ProviderSettings, StaffProfile

    if user.is_superuser:
        return EVERYTHING
    profile = StaffProfile.objects.filter(user=user).prefetch_related("roles").first()
    if profile is not None:
        roles = profile.role_codes()
        if roles & GLOBAL_ROLES:
            return EVERYTHING
        if "technician" in roles and not ProviderSettings.load().restrict_technicians_to_assigned_clients:
            return EVERYTHING
        if not roles:
            return NOTHING
        return ClientScope(False, frozenset(profile.clients.values_list("pk", flat=True)))
    person = getattr(user, "person", None)
    if person is not None and person.is_active and person.client.is_active:
        return ClientScope(False, frozenset({person.client_id}))
    return NOTHING


def is_provider_staff(user: Any) -> bool:
    """Cached on the user object for one request, like the scope (pages ask it once per row)."""
    from comanaged.tenancy.models import StaffProfile

    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    cached = getattr(user, "_is_provider_staff", None)
    if cached is None:
        cached = bool(user.is_superuser) or StaffProfile.objects.filter(user=user).exists()
        user._is_provider_staff = cached
    return bool(cached)


class ClientQuerySet(models.QuerySet["Client"]):
    def for_user(self, user: Any) -> ClientQuerySet:
        scope = client_scope(user)
        if scope.all_clients:
            return self.all()
        return self.filter(pk__in=scope.client_ids)


class ClientOwnedQuerySet(models.QuerySet[_M]):
    def for_user(self, user: Any) -> ClientOwnedQuerySet[_M]:
        scope = client_scope(user)
        if scope.all_clients:
            return self.all()
        return self.filter(client_id__in=scope.client_ids)
