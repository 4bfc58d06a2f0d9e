"""The agreement's policy: pure functions of plain facts, one home per rule.

Later apps (tickets, SLA, devices, billing) ask these questions; none of them re-implements a
rule. Nothing here reads the database: callers pass facts (see ``selectors`` for building them
from rows), so every rule is testable with plain values and the apps below never import the
apps above.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from comanaged.agreements.choices import (
    AgreementStatus,
    DeviceClass,
    Ownership,
    Plan,
    Priority,
    ProvisioningConfiguration,
    ProvisioningDelivery,
)
from comanaged.agreements.errors import AgreementErrorCode as Code
from comanaged.core.errors import Problem
from comanaged.tenancy.calendar import BusinessCalendar
from comanaged.tenancy.choices import UserLevel

CENT = Decimal("0.01")
HIGH_PRIORITIES = frozenset({Priority.P1.value, Priority.P2.value})

# R16: the contractual respond targets — the time from escalation until an appropriate resource
# is working on the ticket (R17). The SLA engine makes them configurable per agreement.
RESPOND_TARGETS: Mapping[str, dt.timedelta] = {
    Priority.P1.value: dt.timedelta(hours=1),
    Priority.P2.value: dt.timedelta(hours=2),
    Priority.P3.value: dt.timedelta(hours=14),
    Priority.P4.value: dt.timedelta(hours=24),
}


@dataclass(frozen=True)
class Decision:
    """An answer with its reason: a stable code, a sentence for people, the rules applied."""

    allowed: bool
    code: str
    message: str
    rules: tuple[str, ...] = ()


# --- R10, R11, R12, R13, R9, R27: who may escalate, now --------------------------------------


class Desk(StrEnum):
    STANDARD = "standard"
    VERTICAL = "vertical"  # R12


class Window(StrEnum):
    """Why the provider's desk takes this request."""

    POC = "poc"  # R10, R13: a POC escalates, at any hour
    AFTER_HOURS = "after_hours"  # R11 (a)
    POC_ABSENCE = "poc_absence"  # R11 (b)


class EscalationCode(StrEnum):
    POC_ESCALATION = "poc_escalation"
    AFTER_HOURS_HIGH_PRIORITY = "after_hours_high_priority"
    AFTER_HOURS_VIP = "after_hours_vip"
    POC_ABSENCE_COVERAGE = "poc_absence_coverage"
    NO_ACTIVE_AGREEMENT = "no_active_agreement"
    NOT_A_PERSON = "not_a_person"
    END_USER_NOT_SUPPORTED = "end_user_not_supported"
    ROUTE_TO_POC_BUSINESS_HOURS = "route_to_poc_business_hours"
    ROUTE_TO_POC_PRIORITY = "route_to_poc_after_hours_priority"
    RUNBOOKS_INCOMPLETE = "runbooks_incomplete"


@dataclass(frozen=True)
class AbsenceFact:
    person_id: int
    starts_at: dt.datetime
    ends_at: dt.datetime

    def covers(self, at: dt.datetime) -> bool:
        return self.starts_at <= at < self.ends_at


@dataclass(frozen=True)
class EscalationFacts:
    """Everything "may this person escalate now?" depends on, as plain values."""

    agreement_status: str
    plan: str
    is_vertical: bool
    requester_id: int
    requester_is_human: bool
    requester_is_active: bool
    requester_level: str
    priority: str
    at: dt.datetime
    calendar: BusinessCalendar
    poc_ids: frozenset[int]
    absences: tuple[AbsenceFact, ...] = ()
    one_absent_poc_opens_coverage: bool = False
    runbooks_complete: bool = False


@dataclass(frozen=True)
class EscalationDecision(Decision):
    window: Window | None = None
    desk: Desk | None = None
    remote_only: bool = False
    route_to_poc: bool = False


def poc_coverage_open(
    poc_ids: Iterable[int],
    absences: Iterable[AbsenceFact],
    at: dt.datetime,
    *,
    one_absent_opens: bool = False,
) -> bool:
    """R11 (b): no POC is available because of PTO or sick leave at ``at``.

    Default: every POC is absent. Configurable: any one absent POC opens the window. A client
    with no POC at all has no PTO coverage window (nobody is away; the seat is just empty).
    """
    pocs = frozenset(poc_ids)
    if not pocs:
        return False
    absent = {a.person_id for a in absences if a.person_id in pocs and a.covers(at)}
    return bool(absent) if one_absent_opens else absent == pocs


def may_escalate(facts: EscalationFacts) -> EscalationDecision:
    """May this person put a ticket on the provider's desk now? (R9, R10, R11, R12, R13, R27)

    - R13/R10: a POC may, at any hour of any day; under Co-managed nobody else may (R10).
    - R11: under Co-managed+, an end-user may (a) after hours in the client's time zone for P1/P2
      — a VIP for any priority (R9) — or (b) while no POC is available (PTO/sick), with remote
      support. At other times the request goes to the POC.
    - R27: that end-user intake stays closed until the POC's runbooks are complete.
    - R12: on a vertical agreement the request goes to the vertical desk.
    """
    desk = Desk.VERTICAL if facts.is_vertical else Desk.STANDARD
    desk_rules: tuple[str, ...] = ("R12",) if facts.is_vertical else ()

    if facts.agreement_status != AgreementStatus.ACTIVE:
        return EscalationDecision(
            False,
            EscalationCode.NO_ACTIVE_AGREEMENT,
            "The client has no active agreement, so the provider's desk cannot take escalations.",
            ("R1",),
        )
    if not facts.requester_is_active or not facts.requester_is_human:
        return EscalationDecision(
            False,
            EscalationCode.NOT_A_PERSON,
            "Only an active person of the client can ask for support (not a service account or mailbox).",
            ("R7",),
        )
    if facts.requester_level == UserLevel.POC:
        return EscalationDecision(
            True,
            EscalationCode.POC_ESCALATION,
            "POC escalation is accepted at any hour, every day.",
            ("R10", "R13", *desk_rules),
            window=Window.POC,
            desk=desk,
        )
    if facts.plan != Plan.CO_MANAGED_PLUS:
        return EscalationDecision(
            False,
            EscalationCode.END_USER_NOT_SUPPORTED,
            "Co-managed support goes through the POC only: ask your POC to escalate.",
            ("R10",),
            route_to_poc=True,
        )

    absence_window = poc_coverage_open(
        facts.poc_ids, facts.absences, facts.at, one_absent_opens=facts.one_absent_poc_opens_coverage
    )
    after_hours = facts.calendar.is_after_hours(facts.at)
    is_vip = facts.requester_level == UserLevel.VIP
    high_priority = facts.priority in HIGH_PRIORITIES

    if absence_window:
        window, code = Window.POC_ABSENCE, EscalationCode.POC_ABSENCE_COVERAGE
        message = "No POC is available (PTO/sick): the provider supports end-users remotely."
        rules: tuple[str, ...] = ("R11",)
    elif after_hours and (high_priority or is_vip):
        window = Window.AFTER_HOURS
        code = EscalationCode.AFTER_HOURS_HIGH_PRIORITY if high_priority else EscalationCode.AFTER_HOURS_VIP
        message = (
            "After hours: the provider takes high-priority (P1/P2) end-user issues directly."
            if high_priority
            else "After hours: VIP users get direct response."
        )
        rules = ("R11",) if high_priority else ("R11", "R9")
    elif after_hours:
        return EscalationDecision(
            False,
            EscalationCode.ROUTE_TO_POC_PRIORITY,
            "After hours the provider takes only P1/P2 end-user issues directly; this goes to the POC.",
            ("R11",),
            route_to_poc=True,
        )
    else:
        return EscalationDecision(
            False,
            EscalationCode.ROUTE_TO_POC_BUSINESS_HOURS,
            "During business hours end-user requests go to the POC.",
            ("R11",),
            route_to_poc=True,
        )

    if not facts.runbooks_complete:
        return EscalationDecision(
            False,
            EscalationCode.RUNBOOKS_INCOMPLETE,
            "End-user coverage opens once the POC has documented the internal processes "
            "in the knowledge base; this goes to the POC.",
            ("R11", "R27"),
            route_to_poc=True,
        )
    return EscalationDecision(
        True,
        code,
        message,
        (*rules, *desk_rules),
        window=window,
        desk=desk,
        remote_only=window == Window.POC_ABSENCE,
    )


# --- R19: listed line-of-business applications -----------------------------------------------

_SPACES = re.compile(r"\s+")


def normalize_application_name(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


def application_listed(name: str, listed_names: Iterable[str]) -> Decision:
    """R19/R22: is this application listed in the agreement? Unlisted LOB applications are out
    of scope (billable if the provider agrees) and their incidents are excluded from RTE."""
    wanted = normalize_application_name(name)
    if wanted and wanted in {normalize_application_name(n) for n in listed_names}:
        return Decision(True, "application_listed", f"{name} is listed in the agreement.", ("R19",))
    return Decision(
        False,
        "application_not_listed",
        f"{name or 'This application'} is not listed in the agreement: out of scope and excluded "
        "from response targets unless the provider agrees to take it on as billable work.",
        ("R19", "R22"),
    )


# --- R22: devices -----------------------------------------------------------------------------

BYOD_CLASSES = frozenset({DeviceClass.WORKSTATION, DeviceClass.LAPTOP, DeviceClass.TABLET})
SCOPE_LIMITS = {
    DeviceClass.VOIP_PHONE: "Network connectivity only; VoIP hardware issues are not covered.",
    DeviceClass.PRINTER: "Network connectivity and application printing only; printer hardware is not covered.",
    DeviceClass.MOBILE: "MFA and Microsoft 365 only, on vendor-supported Android and Apple devices.",
}


@dataclass(frozen=True)
class DeviceFacts:
    device_class: str
    ownership: str
    covered_classes: frozenset[str]
    beyond_vendor_support: bool = False
    mobile_platform_vendor_supported: bool = True


@dataclass(frozen=True)
class CoverageDecision(Decision):
    scope_limit: str | None = None


def device_coverage(facts: DeviceFacts) -> CoverageDecision:
    """R22: is this device covered, and within which limits?"""
    label = DeviceClass(facts.device_class).label if facts.device_class in DeviceClass.values else facts.device_class
    if facts.device_class not in facts.covered_classes:
        return CoverageDecision(
            False, "device_class_not_covered", f"{label}s are not covered by the agreement.", ("R22",)
        )
    if facts.ownership == Ownership.USER_OTHER:
        return CoverageDecision(
            False,
            "user_owned_device",
            "User-owned equipment is not covered, except BYOD workstations and tablets used for business.",
            ("R22",),
        )
    if facts.ownership == Ownership.USER_BYOD and facts.device_class not in BYOD_CLASSES:
        return CoverageDecision(
            False,
            "byod_class_not_covered",
            f"Only BYOD workstations and tablets are covered, not a user-owned {label.lower()}.",
            ("R22",),
        )
    if facts.beyond_vendor_support:
        return CoverageDecision(
            False,
            "beyond_vendor_support",
            "The device is beyond vendor support (or too old) and is excluded.",
            ("R22",),
        )
    if facts.device_class == DeviceClass.MOBILE and not facts.mobile_platform_vendor_supported:
        return CoverageDecision(
            False,
            "mobile_platform_unsupported",
            "Phones are covered only on vendor-supported Android and Apple versions.",
            ("R22",),
        )
    limit = SCOPE_LIMITS.get(DeviceClass(facts.device_class)) if facts.device_class in DeviceClass.values else None
    if limit:
        return CoverageDecision(True, "covered_limited", limit, ("R22",), scope_limit=limit)
    return CoverageDecision(True, "covered", f"The {label.lower()} is covered.", ("R22",))


# --- R26: supported offices -------------------------------------------------------------------


def on_site_support(site_id: int | None, supported_site_ids: Iterable[int]) -> Decision:
    """R26/R22: on-site support only at the supported offices listed in the agreement."""
    if site_id is not None and site_id in set(supported_site_ids):
        return Decision(True, "supported_office", "On-site support is given at this office.", ("R26",))
    return Decision(
        False,
        "site_not_supported",
        "On-site support is given only at the agreement's supported offices; remote support still applies.",
        ("R26", "R22"),
    )


# --- R23: provisioning rates ------------------------------------------------------------------


@dataclass(frozen=True)
class ProvisioningRates:
    standard_remote: Decimal = Decimal("150.00")
    standard_on_site: Decimal = Decimal("550.00")
    non_standard_remote: Decimal = Decimal("400.00")
    non_standard_on_site: Decimal = Decimal("700.00")

    def rate(self, configuration: str, delivery: str) -> Decimal:
        key = {
            (ProvisioningConfiguration.STANDARD, ProvisioningDelivery.REMOTE): self.standard_remote,
            (ProvisioningConfiguration.STANDARD, ProvisioningDelivery.ON_SITE): self.standard_on_site,
            (ProvisioningConfiguration.NON_STANDARD, ProvisioningDelivery.REMOTE): self.non_standard_remote,
            (ProvisioningConfiguration.NON_STANDARD, ProvisioningDelivery.ON_SITE): self.non_standard_on_site,
        }
        try:
            return key[(ProvisioningConfiguration(configuration), ProvisioningDelivery(delivery))]
        except (ValueError, KeyError) as exc:
            raise ValueError(f"unknown provisioning kind {configuration!r}/{delivery!r}") from exc


def provisioning_cost(*, configuration: str, delivery: str, quantity: int, rates: ProvisioningRates) -> Decimal:
    """R23: what provisioning ``quantity`` workstations costs (billable; R22 administrative work)."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    return (rates.rate(configuration, delivery) * quantity).quantize(CENT, rounding=ROUND_HALF_UP)


# --- R28, R20: vendor escalation --------------------------------------------------------------


@dataclass(frozen=True)
class CoverageFact:
    coverage_id: int
    vendor: str
    covers: str
    provider_is_authorized_user: bool
    starts_on: dt.date | None = None
    expires_on: dt.date | None = None

    def current_on(self, day: dt.date) -> bool:
        return (self.starts_on is None or self.starts_on <= day) and (self.expires_on is None or day <= self.expires_on)


@dataclass(frozen=True)
class VendorEscalationDecision(Decision):
    coverage: CoverageFact | None = None


def vendor_escalation(coverages: Sequence[CoverageFact], on: dt.date) -> VendorEscalationDecision:
    """R20/R28: the provider may escalate to the vendor only under the client's current
    vendor/OEM support with the provider listed as an authorized user."""
    if not coverages:
        return VendorEscalationDecision(
            False,
            "no_vendor_coverage",
            "The client has no vendor/OEM support recorded for this; the provider cannot escalate to the vendor.",
            ("R28", "R20"),
        )
    current = [c for c in coverages if c.current_on(on)]
    if not current:
        return VendorEscalationDecision(
            False,
            "vendor_coverage_expired",
            "The client's vendor/OEM support has expired (or not started); ask the POC to renew it.",
            ("R28", "R20"),
        )
    authorized = [c for c in current if c.provider_is_authorized_user]
    if not authorized:
        return VendorEscalationDecision(
            False,
            "provider_not_authorized",
            "The provider is not an authorized user of the client's vendor support; ask the POC to add it.",
            ("R28", "R20"),
        )
    chosen = max(authorized, key=lambda c: c.expires_on or dt.date.max)
    return VendorEscalationDecision(
        True,
        "vendor_escalation_possible",
        f"Escalate to {chosen.vendor} under the client's support ({chosen.covers}).",
        ("R28", "R20"),
        coverage=chosen,
    )


# --- R2, R3, R5, R6: seats and activation ----------------------------------------------------


def extra_pocs(poc_count: int, included_pocs: int) -> int:
    """R2: POCs beyond the included ones, each billed monthly."""
    return max(0, poc_count - included_pocs)


def poc_seat_problem(*, poc_count: int, included_pocs: int, extra_poc_fee: Decimal | None) -> str | None:
    """R2: a POC beyond the included seats is only possible with an extra-POC fee."""
    if extra_pocs(poc_count, included_pocs) and extra_poc_fee is None:
        return (
            f"The agreement includes {included_pocs} POCs; a POC number {poc_count} needs the "
            "agreement's fee per extra POC to be set first (R2)."
        )
    return None


LEVEL_FEE_FIELDS: Mapping[str, str] = {
    UserLevel.END_USER: "end_user_monthly_fee",
    UserLevel.VIP: "vip_monthly_fee",
    UserLevel.PARTIAL: "partial_monthly_fee",
    UserLevel.EMAIL_ONLY: "email_only_monthly_fee",
}


@dataclass(frozen=True)
class ActivationFacts:
    status: str
    is_vertical: bool
    starts_on: dt.date | None
    backup_service: str
    backup_monthly_price: Decimal | None
    has_strategic_advisor: bool
    strategic_advisor_has_vertical: bool
    has_technology_alignment_engineer: bool
    poc_count: int
    included_pocs: int
    extra_poc_fee: Decimal | None
    level_fees: Mapping[str, Decimal | None] = field(default_factory=dict)
    client_has_other_active: bool = False


def activation_problems(facts: ActivationFacts) -> list[Problem]:
    """Everything that stops a draft agreement from becoming active (R2, R3, R5, R6)."""
    if facts.status != AgreementStatus.DRAFT:
        return [Problem(Code.NOT_DRAFT, "Only a draft agreement can be activated.", "status")]
    problems: list[Problem] = []
    if facts.client_has_other_active:
        problems.append(
            Problem(
                Code.ALREADY_ACTIVE,
                "The client already has an active agreement; terminate it first.",
                "client",
            )
        )
    if not facts.backup_service:
        problems.append(
            Problem(
                Code.BACKUP_REQUIRED,
                "Server Backup or Server Backup with DR is required on every agreement (R3).",
                "backup_service",
            )
        )
    if facts.backup_monthly_price is None:
        problems.append(
            Problem(
                Code.BACKUP_PRICE_REQUIRED,
                "Set the client's monthly price for the backup service (R3).",
                "backup_monthly_price",
            )
        )
    if not facts.has_strategic_advisor:
        problems.append(
            Problem(
                Code.STRATEGIC_ADVISOR_REQUIRED,
                "Designate a Strategic Advisor (R5).",
                "strategic_advisor",
            )
        )
    elif facts.is_vertical and not facts.strategic_advisor_has_vertical:
        problems.append(
            Problem(
                Code.STRATEGIC_ADVISOR_NOT_VERTICAL,
                "A vertical agreement needs a vertical-experienced Strategic Advisor (R5).",
                "strategic_advisor",
            )
        )
    if not facts.has_technology_alignment_engineer:
        problems.append(
            Problem(
                Code.TAE_REQUIRED,
                "Designate a Technology Alignment Engineer (R5).",
                "technology_alignment_engineer",
            )
        )
    seat_problem = poc_seat_problem(
        poc_count=facts.poc_count, included_pocs=facts.included_pocs, extra_poc_fee=facts.extra_poc_fee
    )
    if seat_problem:
        problems.append(Problem(Code.EXTRA_POC_FEE_REQUIRED, seat_problem, "extra_poc_monthly_fee"))
    for level, field_name in LEVEL_FEE_FIELDS.items():
        if facts.level_fees.get(level) is None:
            problems.append(
                Problem(
                    Code.LEVEL_FEE_REQUIRED,
                    f"Set the monthly fee for {UserLevel(level).label} (R6).",
                    field_name,
                )
            )
    if facts.starts_on is None:
        problems.append(Problem(Code.START_DATE_REQUIRED, "Set the date the agreement starts.", "starts_on"))
    return problems
