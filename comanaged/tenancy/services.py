"""Writes of the tenancy app. Each validates, saves and audits in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from comanaged.core import audit
from comanaged.core.errors import Problem
from comanaged.core.services import save_audited
from comanaged.tenancy import hooks
from comanaged.tenancy.calendar import DEFAULT_WEEK, WeekRow, week_overlaps
from comanaged.tenancy.choices import StaffRoleCode, UserLevel
from comanaged.tenancy.errors import TenancyErrorCode as Code
from comanaged.tenancy.models import (
    Absence,
    BusinessHours,
    Client,
    Closure,
    Person,
    ProviderSettings,
    Site,
    StaffProfile,
    StaffRole,
    User,
)

# --- Checks (also run by the admin forms, so errors show beside their fields) ---------------


def person_problems(person: Person) -> list[Problem]:
    """R6/R7: only people have a user level; links stay inside the person's client."""
    problems: list[Problem] = []
    if not person.is_human and person.level:
        problems.append(
            Problem(
                Code.LEVEL_REQUIRES_PERSON,
                f"A {person.get_kind_display().lower()} is not a person and cannot have a user level "
                f"({UserLevel(person.level).label}); leave the level empty (R6, R7).",
                "level",
            )
        )
    if person.is_human and not person.level:
        problems.append(Problem(Code.LEVEL_REQUIRED, "Choose the person's user level (R6).", "level"))
    if person.site_id and person.client_id and person.site.client_id != person.client_id:  # type: ignore[union-attr]
        problems.append(Problem(Code.WRONG_CLIENT, "The site belongs to another client.", "site"))
    if person.user_id:
        if StaffProfile.objects.filter(user_id=person.user_id).exists():
            problems.append(
                Problem(
                    Code.USER_IS_STAFF,
                    "That sign-in belongs to provider staff, not to a client's person.",
                    "user",
                )
            )
        if Person.objects.filter(user_id=person.user_id).exclude(pk=person.pk).exists():
            problems.append(Problem(Code.USER_TAKEN, "That sign-in is already linked to another person.", "user"))
    if not problems:
        for check in hooks.person_checks():
            problems.extend(check(person))
    return problems


def absence_problems(absence: Absence) -> list[Problem]:
    """R11: absences are recorded for POCs (they open Co-managed+ coverage); no overlaps."""
    problems: list[Problem] = []
    person = absence.person if absence.person_id else None
    if person is None:
        return problems
    if absence.client_id is None:
        absence.client_id = person.client_id  # an absence belongs to its person's client
    elif person.client_id != absence.client_id:
        problems.append(Problem(Code.WRONG_CLIENT, "The person belongs to another client.", "person"))
    if not person.is_poc:
        problems.append(
            Problem(
                Code.ABSENCE_NOT_POC,
                f"{person} is not a POC; absences are recorded for POCs (R11).",
                "person",
            )
        )
    if absence.starts_at and absence.ends_at and absence.starts_at < absence.ends_at:
        overlapping = Absence.objects.filter(
            person_id=person.pk, starts_at__lt=absence.ends_at, ends_at__gt=absence.starts_at
        ).exclude(pk=absence.pk)
        if overlapping.exists():
            problems.append(
                Problem(
                    Code.ABSENCE_OVERLAP,
                    f"{person} already has an absence in that period.",
                    "starts_at",
                )
            )
    return problems


def staff_profile_problems(profile: StaffProfile, role_codes: Iterable[str]) -> list[Problem]:
    roles = set(role_codes)
    problems: list[Problem] = []
    if StaffRoleCode.TECHNICIAN in roles and profile.tier is None:
        problems.append(Problem(Code.TIER_REQUIRED, "A technician needs a tier (L1, L2 or L3).", "tier"))
    if StaffRoleCode.TECHNICIAN not in roles and profile.tier is not None:
        problems.append(Problem(Code.TIER_WITHOUT_TECHNICIAN, "Only technicians have a tier.", "tier"))
    if profile.user_id and Person.objects.filter(user_id=profile.user_id).exists():
        problems.append(
            Problem(
                Code.STAFF_IS_PERSON,
                "That user signs in as a client's person and cannot be staff.",
                "user",
            )
        )
    return problems


def business_hours_problems(hours: BusinessHours) -> list[Problem]:
    """An interval overlapping another of the same client and day (the model's own check, for
    callers that validate without saving)."""
    if hours.week_checked_by_form:
        return []
    other = hours.overlapping()
    if other is None:
        return []
    message = f"{hours.label()} overlaps {other} of the same client: intervals of one day must not overlap."
    return [Problem(Code.HOURS_OVERLAP, message, "opens")]


def business_hours_week_problems(client: Client) -> list[Problem]:
    """The client's whole week as stored: intervals of one weekday that overlap (checked after an
    edit of several rows at once, whose rows may pass each other on the way)."""
    rows = BusinessHours.objects.filter(client=client).values_list("weekday", "opens", "closes")
    problems = [
        Problem(Code.HOURS_OVERLAP, f"{week_row_label(first)} overlaps {week_row_label(second)}.", "opens")
        for first, second in week_overlaps(rows)
    ]
    for check in hooks.week_checks():
        problems.extend(check(client))
    return problems


def week_row_label(row: WeekRow) -> str:
    return BusinessHours(weekday=row[0], opens=row[1], closes=row[2]).label()


# --- Writes ------------------------------------------------------------------------------------


def provider_settings_update(*, actor: Any, **fields: Any) -> ProviderSettings:
    row = ProviderSettings.load()
    for name, value in fields.items():
        setattr(row, name, value)
    return save_audited(row, actor=actor)


def client_save(
    *, client: Client, actor: Any, team: Iterable[StaffProfile] | None = None, default_hours: bool = True
) -> Client:
    """Create or update a client; a new client gets Mon–Fri 08:00–17:00 business hours unless
    the caller is about to give it its own (``default_hours=False``)."""
    with transaction.atomic():
        creating = client._state.adding
        save_audited(client, actor=actor, m2m={"team": team} if team is not None else None)
        if creating and default_hours:
            client_add_default_hours(client=client)
    return client


def client_add_default_hours(*, client: Client) -> None:
    for weekday, intervals in DEFAULT_WEEK.items():
        for opens, closes in intervals:
            BusinessHours.objects.create(client=client, weekday=weekday, opens=opens, closes=closes)


def client_add_to_team(*, client: Client, staff: StaffProfile, actor: Any) -> None:
    if not client.team.filter(pk=staff.pk).exists():
        save_audited(client, actor=actor, m2m={"team": [*client.team.all(), staff]}, action="team_add")


def site_save(*, site: Site, actor: Any) -> Site:
    return save_audited(site, actor=actor)


def person_save(*, person: Person, actor: Any) -> Person:
    return save_audited(person, actor=actor, checks=[lambda: person_problems(person)])


def absence_save(*, absence: Absence, actor: Any) -> Absence:
    if absence.person_id and not absence.client_id:
        absence.client_id = absence.person.client_id
    if absence._state.adding and absence.recorded_by_id is None and getattr(actor, "pk", None):
        absence.recorded_by = actor
    return save_audited(absence, actor=actor, checks=[lambda: absence_problems(absence)])


def business_hours_save(*, hours: BusinessHours, actor: Any) -> BusinessHours:
    return save_audited(hours, actor=actor, checks=[lambda: business_hours_problems(hours)])


def staff_profile_save(
    *,
    profile: StaffProfile,
    actor: Any,
    roles: Iterable[str],
    skills: Iterable[Any] = (),
    verticals: Iterable[Any] = (),
) -> StaffProfile:
    """Create or update a staff member; staff may open the admin pages (``is_staff``)."""
    role_codes = list(roles)
    with transaction.atomic():
        save_audited(
            profile,
            actor=actor,
            checks=[lambda: staff_profile_problems(profile, role_codes)],
            m2m={
                "roles": StaffRole.rows(role_codes),
                "skills": skills,
                "verticals": verticals,
            },
        )
        user = profile.user
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            audit.record(actor=actor, action="admin_access_granted", instance=user, changes={"is_staff": [False, True]})
        profile.__dict__.pop("_role_codes", None)
    return profile


def user_create(*, email: str, full_name: str, password: str | None, actor: Any) -> User:
    user = User(email=email.strip().lower(), full_name=full_name)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()  # signs in only after a password reset
    return save_audited(user, actor=actor)


def closure_save(*, closure: Closure, actor: Any) -> Closure:
    return save_audited(closure, actor=actor)
