"""Which staff roles may view and change which areas (one table, used by every admin page).

Scope (which clients) is separate: see ``scoping``. A role here opens an area; the scope
still decides which rows of that area the user sees.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from comanaged.tenancy.choices import StaffRoleCode as R


class Area(StrEnum):
    PROVIDER = "provider"  # provider settings, verticals, skills
    STAFF = "staff"  # staff profiles and users
    CLIENTS = "clients"  # clients, business hours, closures, sites
    PEOPLE = "people"  # people and absences
    AGREEMENTS = "agreements"  # terms of drafts and active agreements, listed applications
    AGREEMENT_LIFECYCLE = "agreement_lifecycle"  # activate, terminate
    VENDOR_COVERAGE = "vendor_coverage"  # R28 records
    TICKETS = "tickets"  # the desk: triage, assign, start work, notes, tiers, vendor escalation
    TICKET_VERDICT = "ticket_verdict"  # override the contract's verdict on a ticket, with a reason
    AUDIT = "audit"
    WEBHOOKS = "webhooks"  # outgoing webhook endpoints and their deliveries
    KNOWLEDGE = "knowledge"  # knowledge-base articles, environment documents, the credential vault
    KNOWLEDGE_TEMPLATES = "knowledge_templates"  # documentation templates and categories


ALL_ROLES = frozenset(R.values)
EDITORS: dict[Area, frozenset[str]] = {
    Area.PROVIDER: frozenset({R.ADMIN}),
    Area.STAFF: frozenset({R.ADMIN}),
    Area.CLIENTS: frozenset({R.ADMIN, R.DISPATCHER, R.ONBOARDING_PM}),
    Area.PEOPLE: frozenset({R.ADMIN, R.DISPATCHER, R.ONBOARDING_PM, R.TECHNICIAN}),
    Area.AGREEMENTS: frozenset({R.ADMIN, R.BILLING, R.ONBOARDING_PM}),
    Area.AGREEMENT_LIFECYCLE: frozenset({R.ADMIN, R.BILLING}),
    Area.VENDOR_COVERAGE: frozenset({R.ADMIN, R.DISPATCHER, R.ONBOARDING_PM, R.TECHNICIAN}),
    Area.TICKETS: frozenset({R.ADMIN, R.DISPATCHER, R.TECHNICIAN}),
    Area.TICKET_VERDICT: frozenset({R.ADMIN, R.DISPATCHER}),
    Area.AUDIT: frozenset(),
    Area.WEBHOOKS: frozenset({R.ADMIN}),
    Area.KNOWLEDGE: frozenset(
        {R.ADMIN, R.DISPATCHER, R.TECHNICIAN, R.ONBOARDING_PM, R.STRATEGIC_ADVISOR, R.TECHNOLOGY_ALIGNMENT_ENGINEER}
    ),
    Area.KNOWLEDGE_TEMPLATES: frozenset({R.ADMIN, R.ONBOARDING_PM, R.TECHNOLOGY_ALIGNMENT_ENGINEER}),
}
VIEWERS: dict[Area, frozenset[str]] = {
    Area.PROVIDER: ALL_ROLES,
    Area.STAFF: ALL_ROLES,
    Area.CLIENTS: ALL_ROLES,
    Area.PEOPLE: ALL_ROLES,
    Area.AGREEMENTS: ALL_ROLES,
    Area.AGREEMENT_LIFECYCLE: ALL_ROLES,
    Area.VENDOR_COVERAGE: ALL_ROLES,
    Area.TICKETS: ALL_ROLES,
    Area.TICKET_VERDICT: ALL_ROLES,
    Area.AUDIT: frozenset({R.ADMIN, R.DISPATCHER, R.BILLING, R.ONBOARDING_PM}),
    Area.WEBHOOKS: frozenset({R.ADMIN, R.DISPATCHER}),
    Area.KNOWLEDGE: ALL_ROLES,
    Area.KNOWLEDGE_TEMPLATES: ALL_ROLES,
}


def staff_roles(user: Any) -> frozenset[str]:
    """The roles of an active staff user (cached on the user for one request)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_staff_roles", None)
    if cached is None:
        from comanaged.tenancy.models import StaffRole

        cached = frozenset(StaffRole.objects.filter(staff__user=user).values_list("code", flat=True))
        user._staff_roles = cached
    return cached


def can_view(user: Any, area: Area) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(staff_roles(user) & VIEWERS[area])


def can_edit(user: Any, area: Area) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return bool(staff_roles(user) & EDITORS[area])
