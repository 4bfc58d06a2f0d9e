"""The agreement's policy functions, proved with plain values (no database).

Every test names the rule it proves (RULES.md) so that ``grep -rn R11`` finds it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from comanaged.agreements.choices import (
    DEFAULT_COVERED_DEVICE_CLASSES,
    AgreementStatus,
    BackupService,
    DeviceClass,
    Ownership,
    Plan,
    Priority,
    ProvisioningConfiguration,
    ProvisioningDelivery,
)
from comanaged.agreements.errors import AgreementErrorCode as Code
from comanaged.agreements.policy import (
    AbsenceFact,
    ActivationFacts,
    CoverageFact,
    Desk,
    DeviceFacts,
    EscalationCode,
    EscalationFacts,
    ProvisioningRates,
    Window,
    activation_problems,
    application_listed,
    device_coverage,
    extra_pocs,
    may_escalate,
    on_site_support,
    poc_coverage_open,
    poc_seat_problem,
    provisioning_cost,
    vendor_escalation,
)
from comanaged.core.errors import Problem
from comanaged.tenancy.calendar import BusinessCalendar
from comanaged.tenancy.choices import UserLevel

pytestmark = pytest.mark.nodb

UTC = dt.UTC

# A New York client, Mon-Fri 08:00-17:00, with New York public holidays.
NY_CALENDAR = BusinessCalendar("America/New_York", holiday_country="US", holiday_subdivision="NY")

# Instants (UTC) and what they are in New York.
BUSINESS_HOURS = dt.datetime(2026, 6, 10, 14, 0, tzinfo=UTC)  # Wed 10:00 EDT
WEEKDAY_EVENING = dt.datetime(2026, 6, 11, 2, 0, tzinfo=UTC)  # Wed 22:00 EDT
WEEKEND_3AM = dt.datetime(2026, 6, 13, 7, 0, tzinfo=UTC)  # Sat 03:00 EDT
HOLIDAY_NOON = dt.datetime(2026, 7, 3, 16, 0, tzinfo=UTC)  # Fri 12:00 EDT, July 4 observed
NEW_YEAR_NOON = dt.datetime(2026, 1, 1, 17, 0, tzinfo=UTC)  # Thu 12:00 EST, New Year's Day
SPRING_FORWARD = dt.datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # Sun 03:00 EDT, just after the gap
FALL_BACK_FOLD = dt.datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # Sun 01:30 EST, second time

AFTER_HOURS = [WEEKDAY_EVENING, WEEKEND_3AM, HOLIDAY_NOON, NEW_YEAR_NOON, SPRING_FORWARD]
ANY_HOUR = [BUSINESS_HOURS, *AFTER_HOURS, FALL_BACK_FOLD]
ALL_PRIORITIES = [p.value for p in Priority]
HIGH = [Priority.P1.value, Priority.P2.value]
LOW = [Priority.P3.value, Priority.P4.value]
END_USER_LEVELS = [UserLevel.END_USER, UserLevel.VIP, UserLevel.PARTIAL, UserLevel.EMAIL_ONLY]
NON_VIP_END_USER_LEVELS = [UserLevel.END_USER, UserLevel.PARTIAL, UserLevel.EMAIL_ONLY]

POC_A, POC_B, REQUESTER = 1, 2, 10


def _absent(person_id: int, at: dt.datetime) -> AbsenceFact:
    """An absence of a day either side of ``at``."""
    return AbsenceFact(person_id, at - dt.timedelta(days=1), at + dt.timedelta(days=1))


def _facts(**overrides: Any) -> EscalationFacts:
    base = EscalationFacts(
        agreement_status=AgreementStatus.ACTIVE,
        plan=Plan.CO_MANAGED_PLUS,
        is_vertical=False,
        requester_id=REQUESTER,
        requester_is_human=True,
        requester_is_active=True,
        requester_level=UserLevel.END_USER,
        priority=Priority.P3,
        at=BUSINESS_HOURS,
        calendar=NY_CALENDAR,
        poc_ids=frozenset({POC_A, POC_B}),
        absences=(),
        one_absent_poc_opens_coverage=False,
        runbooks_complete=True,
    )
    return dataclasses.replace(base, **overrides)


def _all_pocs_absent(at: dt.datetime) -> tuple[AbsenceFact, ...]:
    return (_absent(POC_A, at), _absent(POC_B, at))


def test_the_instants_used_here_are_what_their_names_say():
    """Guard for the tables below: the NY calendar sees them as named (R11)."""
    assert NY_CALENDAR.is_business_time(BUSINESS_HOURS)
    for at in AFTER_HOURS:
        assert NY_CALENDAR.is_after_hours(at), at


# --- R1, R7: who can ask at all ---------------------------------------------------------------


@pytest.mark.parametrize("status", [AgreementStatus.DRAFT, AgreementStatus.TERMINATED, "none", ""])
@pytest.mark.parametrize("level", [UserLevel.POC, UserLevel.END_USER, UserLevel.VIP])
def test_r1_no_active_agreement_refuses_every_escalation(status, level):
    decision = may_escalate(
        _facts(agreement_status=status, requester_level=level, priority=Priority.P1, at=WEEKEND_3AM)
    )
    assert not decision.allowed
    assert decision.code == EscalationCode.NO_ACTIVE_AGREEMENT
    assert decision.rules == ("R1",)
    assert decision.window is None
    assert decision.desk is None


@pytest.mark.parametrize(("is_human", "is_active"), [(False, True), (True, False), (False, False)])
@pytest.mark.parametrize("level", [UserLevel.POC, UserLevel.END_USER, UserLevel.VIP])
def test_r7_non_human_or_inactive_requester_is_refused(is_human, is_active, level):
    decision = may_escalate(
        _facts(
            requester_is_human=is_human,
            requester_is_active=is_active,
            requester_level=level,
            priority=Priority.P1,
            at=WEEKDAY_EVENING,
            absences=_all_pocs_absent(WEEKDAY_EVENING),
        )
    )
    assert not decision.allowed
    assert decision.code == EscalationCode.NOT_A_PERSON
    assert "R7" in decision.rules
    assert decision.window is None


# --- R10, R13: the POC escalates at any hour ---------------------------------------------------


@pytest.mark.parametrize("at", ANY_HOUR)
@pytest.mark.parametrize("plan", [Plan.CO_MANAGED, Plan.CO_MANAGED_PLUS])
@pytest.mark.parametrize("priority", ALL_PRIORITIES)
def test_r13_r10_poc_escalation_is_accepted_at_any_hour_every_day(at, plan, priority):
    decision = may_escalate(
        _facts(requester_level=UserLevel.POC, requester_id=POC_A, plan=plan, priority=priority, at=at)
    )
    assert decision.allowed
    assert decision.code == EscalationCode.POC_ESCALATION
    assert decision.window == Window.POC
    assert decision.desk == Desk.STANDARD
    assert {"R10", "R13"} <= set(decision.rules)
    assert "R12" not in decision.rules
    assert not decision.remote_only
    assert not decision.route_to_poc


@pytest.mark.parametrize("at", [BUSINESS_HOURS, WEEKEND_3AM])
def test_r13_r27_poc_escalation_does_not_wait_for_runbooks_or_absences(at):
    """R27 gates only the Co-managed+ end-user intake, never the POC's own escalation (R13)."""
    decision = may_escalate(
        _facts(
            requester_level=UserLevel.POC,
            requester_id=POC_A,
            priority=Priority.P4,
            at=at,
            runbooks_complete=False,
            absences=_all_pocs_absent(at),
        )
    )
    assert decision.allowed
    assert decision.window == Window.POC
    assert not decision.remote_only


@pytest.mark.parametrize("at", ANY_HOUR)
@pytest.mark.parametrize("level", END_USER_LEVELS)
@pytest.mark.parametrize("priority", ALL_PRIORITIES)
def test_r10_end_user_cannot_escalate_under_co_managed(at, level, priority):
    """Co-managed: no direct end-user support, not even after hours, for VIPs, or while every
    POC is away."""
    decision = may_escalate(
        _facts(
            plan=Plan.CO_MANAGED,
            requester_level=level,
            priority=priority,
            at=at,
            absences=_all_pocs_absent(at),
        )
    )
    assert not decision.allowed
    assert decision.code == EscalationCode.END_USER_NOT_SUPPORTED
    assert decision.route_to_poc
    assert decision.rules == ("R10",)
    assert decision.window is None


# --- R11: Co-managed+ end-users ----------------------------------------------------------------


@pytest.mark.parametrize("level", END_USER_LEVELS)
@pytest.mark.parametrize("priority", ALL_PRIORITIES)
def test_r11_co_managed_plus_end_user_in_business_hours_is_routed_to_poc(level, priority):
    """R11/R9: during business hours even a VIP's P1 goes to the POC."""
    decision = may_escalate(_facts(requester_level=level, priority=priority, at=BUSINESS_HOURS))
    assert not decision.allowed
    assert decision.code == EscalationCode.ROUTE_TO_POC_BUSINESS_HOURS
    assert decision.route_to_poc
    assert decision.window is None
    assert "R11" in decision.rules


@pytest.mark.parametrize("at", AFTER_HOURS)
@pytest.mark.parametrize("level", END_USER_LEVELS)
@pytest.mark.parametrize("priority", HIGH)
def test_r11_co_managed_plus_end_user_after_hours_p1_p2_is_taken(at, level, priority):
    decision = may_escalate(_facts(requester_level=level, priority=priority, at=at))
    assert decision.allowed
    assert decision.code == EscalationCode.AFTER_HOURS_HIGH_PRIORITY
    assert decision.window == Window.AFTER_HOURS
    assert decision.desk == Desk.STANDARD
    assert decision.rules == ("R11",)
    assert not decision.remote_only
    assert not decision.route_to_poc


@pytest.mark.parametrize("at", AFTER_HOURS)
@pytest.mark.parametrize("level", NON_VIP_END_USER_LEVELS)
@pytest.mark.parametrize("priority", LOW)
def test_r11_co_managed_plus_end_user_after_hours_p3_p4_is_routed_to_poc(at, level, priority):
    decision = may_escalate(_facts(requester_level=level, priority=priority, at=at))
    assert not decision.allowed
    assert decision.code == EscalationCode.ROUTE_TO_POC_PRIORITY
    assert decision.route_to_poc
    assert decision.window is None


@pytest.mark.parametrize("at", AFTER_HOURS)
@pytest.mark.parametrize("priority", LOW)
def test_r9_vip_after_hours_is_taken_at_any_priority(at, priority):
    decision = may_escalate(_facts(requester_level=UserLevel.VIP, priority=priority, at=at))
    assert decision.allowed
    assert decision.code == EscalationCode.AFTER_HOURS_VIP
    assert decision.window == Window.AFTER_HOURS
    assert set(decision.rules) == {"R11", "R9"}
    assert not decision.remote_only


def test_r11_after_hours_is_judged_in_the_clients_time_zone():
    """The same instant is business hours in New York and the middle of the night in Auckland."""
    auckland = BusinessCalendar("Pacific/Auckland")
    ny_decision = may_escalate(_facts(priority=Priority.P1, at=BUSINESS_HOURS))
    nz_decision = may_escalate(_facts(priority=Priority.P1, at=BUSINESS_HOURS, calendar=auckland))
    assert ny_decision.code == EscalationCode.ROUTE_TO_POC_BUSINESS_HOURS
    assert nz_decision.allowed
    assert nz_decision.window == Window.AFTER_HOURS


# --- R11 (b): POC absence (PTO / sick) coverage window ----------------------------------------


@pytest.mark.parametrize("at", [BUSINESS_HOURS, WEEKDAY_EVENING, WEEKEND_3AM])
@pytest.mark.parametrize("level", END_USER_LEVELS)
@pytest.mark.parametrize("priority", ALL_PRIORITIES)
def test_r11_all_pocs_absent_opens_remote_coverage_for_any_priority(at, level, priority):
    decision = may_escalate(_facts(requester_level=level, priority=priority, at=at, absences=_all_pocs_absent(at)))
    assert decision.allowed
    assert decision.code == EscalationCode.POC_ABSENCE_COVERAGE
    assert decision.window == Window.POC_ABSENCE
    assert decision.remote_only
    assert decision.desk == Desk.STANDARD
    assert "R11" in decision.rules
    assert not decision.route_to_poc


def test_r11_one_absent_poc_of_two_does_not_open_coverage_by_default():
    decision = may_escalate(_facts(priority=Priority.P4, absences=(_absent(POC_A, BUSINESS_HOURS),)))
    assert not decision.allowed
    assert decision.code == EscalationCode.ROUTE_TO_POC_BUSINESS_HOURS


def test_r11_one_absent_poc_opens_coverage_when_configured():
    decision = may_escalate(
        _facts(
            priority=Priority.P4,
            absences=(_absent(POC_A, BUSINESS_HOURS),),
            one_absent_poc_opens_coverage=True,
        )
    )
    assert decision.allowed
    assert decision.window == Window.POC_ABSENCE
    assert decision.remote_only


@pytest.mark.parametrize("one_absent_opens", [False, True])
def test_r11_client_without_pocs_has_no_absence_window(one_absent_opens):
    decision = may_escalate(
        _facts(
            priority=Priority.P4,
            poc_ids=frozenset(),
            absences=(_absent(REQUESTER, BUSINESS_HOURS),),
            one_absent_poc_opens_coverage=one_absent_opens,
        )
    )
    assert not decision.allowed
    assert decision.code == EscalationCode.ROUTE_TO_POC_BUSINESS_HOURS


def test_r11_absence_window_wins_after_hours_and_is_remote_only():
    """After hours with every POC away: the absence window applies (remote support)."""
    decision = may_escalate(
        _facts(priority=Priority.P1, at=WEEKDAY_EVENING, absences=_all_pocs_absent(WEEKDAY_EVENING))
    )
    assert decision.allowed
    assert decision.window == Window.POC_ABSENCE
    assert decision.remote_only


START = dt.datetime(2026, 6, 8, 12, 0, tzinfo=UTC)
END = dt.datetime(2026, 6, 12, 12, 0, tzinfo=UTC)
MICRO = dt.timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        pytest.param(START - MICRO, False, id="just-before-start"),
        pytest.param(START, True, id="starts_at-inclusive"),
        pytest.param(END - MICRO, True, id="just-before-end"),
        pytest.param(END, False, id="ends_at-exclusive"),
        pytest.param(END.astimezone(dt.timezone(dt.timedelta(hours=-4))), False, id="end-other-zone"),
    ],
)
def test_r11_absence_boundaries_starts_inclusive_ends_exclusive(at, expected):
    absences = (AbsenceFact(POC_A, START, END), AbsenceFact(POC_B, START, END))
    assert AbsenceFact(POC_A, START, END).covers(at) is expected
    assert poc_coverage_open({POC_A, POC_B}, absences, at) is expected
    decision = may_escalate(_facts(priority=Priority.P4, at=at, absences=absences))
    assert decision.allowed is expected
    assert (decision.window == Window.POC_ABSENCE) is expected


@pytest.mark.parametrize(
    ("pocs", "absent", "one_absent_opens", "expected"),
    [
        pytest.param({1, 2}, {1, 2}, False, True, id="all-absent"),
        pytest.param({1, 2}, {1}, False, False, id="one-of-two-default"),
        pytest.param({1, 2}, {1}, True, True, id="one-of-two-configured"),
        pytest.param({1}, {1}, False, True, id="sole-poc-absent"),
        pytest.param({1, 2}, set(), True, False, id="nobody-absent-configured"),
        pytest.param({1, 2}, {3, 4}, True, False, id="only-non-pocs-absent"),
        pytest.param({1, 2}, {2, 3}, False, False, id="non-poc-does-not-complete-set"),
        pytest.param(set(), set(), False, False, id="no-pocs"),
        pytest.param(set(), {3}, True, False, id="no-pocs-configured"),
    ],
)
def test_r11_poc_coverage_open_table(pocs, absent, one_absent_opens, expected):
    absences = [_absent(person, BUSINESS_HOURS) for person in absent]
    assert poc_coverage_open(pocs, absences, BUSINESS_HOURS, one_absent_opens=one_absent_opens) is expected


def test_r11_absence_that_is_over_or_not_yet_started_does_not_count():
    past = AbsenceFact(POC_A, BUSINESS_HOURS - dt.timedelta(days=3), BUSINESS_HOURS - dt.timedelta(days=1))
    future = AbsenceFact(POC_B, BUSINESS_HOURS + dt.timedelta(hours=1), BUSINESS_HOURS + dt.timedelta(days=1))
    assert not poc_coverage_open({POC_A, POC_B}, [past, future], BUSINESS_HOURS)
    assert not poc_coverage_open({POC_A, POC_B}, [past, future], BUSINESS_HOURS, one_absent_opens=True)


# --- R27: runbooks gate the Co-managed+ end-user intake ---------------------------------------


@pytest.mark.parametrize(
    ("level", "priority", "at", "absences"),
    [
        pytest.param(UserLevel.END_USER, Priority.P1, WEEKDAY_EVENING, (), id="after-hours-P1"),
        pytest.param(UserLevel.END_USER, Priority.P2, WEEKEND_3AM, (), id="weekend-P2"),
        pytest.param(UserLevel.VIP, Priority.P4, HOLIDAY_NOON, (), id="vip-holiday-P4"),
        pytest.param(
            UserLevel.END_USER,
            Priority.P3,
            BUSINESS_HOURS,
            _all_pocs_absent(BUSINESS_HOURS),
            id="absence-window",
        ),
    ],
)
def test_r27_incomplete_runbooks_refuse_otherwise_allowed_end_user_cases(level, priority, at, absences):
    allowed = may_escalate(_facts(requester_level=level, priority=priority, at=at, absences=absences))
    assert allowed.allowed, "precondition: the case is allowed once runbooks are complete"
    decision = may_escalate(
        _facts(
            requester_level=level,
            priority=priority,
            at=at,
            absences=absences,
            runbooks_complete=False,
        )
    )
    assert not decision.allowed
    assert decision.code == EscalationCode.RUNBOOKS_INCOMPLETE
    assert decision.route_to_poc
    assert {"R11", "R27"} <= set(decision.rules)
    assert decision.window is None


# --- R12: vertical desk -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "priority", "at", "absences", "window"),
    [
        pytest.param(UserLevel.POC, Priority.P4, BUSINESS_HOURS, (), Window.POC, id="poc"),
        pytest.param(UserLevel.POC, Priority.P1, WEEKEND_3AM, (), Window.POC, id="poc-weekend"),
        pytest.param(UserLevel.END_USER, Priority.P1, WEEKDAY_EVENING, (), Window.AFTER_HOURS, id="after-hours"),
        pytest.param(UserLevel.VIP, Priority.P4, WEEKEND_3AM, (), Window.AFTER_HOURS, id="vip"),
        pytest.param(
            UserLevel.END_USER,
            Priority.P3,
            BUSINESS_HOURS,
            _all_pocs_absent(BUSINESS_HOURS),
            Window.POC_ABSENCE,
            id="absence",
        ),
    ],
)
def test_r12_vertical_agreement_sends_escalations_to_the_vertical_desk(level, priority, at, absences, window):
    decision = may_escalate(
        _facts(
            is_vertical=True,
            requester_level=level,
            requester_id=POC_A if level == UserLevel.POC else REQUESTER,
            priority=priority,
            at=at,
            absences=absences,
        )
    )
    assert decision.allowed
    assert decision.window == window
    assert decision.desk == Desk.VERTICAL
    assert "R12" in decision.rules


@pytest.mark.parametrize("plan", [Plan.CO_MANAGED, Plan.CO_MANAGED_PLUS])
def test_r12_r10_vertical_co_managed_poc_goes_to_vertical_desk(plan):
    decision = may_escalate(_facts(plan=plan, is_vertical=True, requester_level=UserLevel.POC, requester_id=POC_A))
    assert decision.desk == Desk.VERTICAL
    assert {"R10", "R13", "R12"} <= set(decision.rules)


def test_r12_vertical_does_not_open_end_user_intake_in_business_hours():
    decision = may_escalate(_facts(is_vertical=True, priority=Priority.P1))
    assert not decision.allowed
    assert decision.code == EscalationCode.ROUTE_TO_POC_BUSINESS_HOURS


# --- R19: listed applications -----------------------------------------------------------------


@pytest.mark.parametrize(
    "asked",
    ["QuickBooks Desktop", "quickbooks desktop", "  QUICKBOOKS   Desktop ", "QuickBooks\tDesktop\n"],
)
def test_r19_listed_application_matches_case_and_whitespace_insensitively(asked):
    decision = application_listed(asked, ["Sage 50", "  Quickbooks  DESKTOP"])
    assert decision.allowed
    assert decision.code == "application_listed"
    assert decision.rules == ("R19",)


@pytest.mark.parametrize(
    ("asked", "listed"),
    [
        ("QuickBooks Online", ["QuickBooks Desktop"]),
        ("QuickBooksDesktop", ["QuickBooks Desktop"]),
        ("Sage", []),
        ("", [""]),
        ("   ", ["   ", "Sage"]),
    ],
)
def test_r19_r22_unlisted_application_is_out_of_scope(asked, listed):
    decision = application_listed(asked, listed)
    assert not decision.allowed
    assert decision.code == "application_not_listed"
    assert set(decision.rules) == {"R19", "R22"}


# --- R22: devices -----------------------------------------------------------------------------

ALL_CLASSES = frozenset(DEFAULT_COVERED_DEVICE_CLASSES)


def _device(device_class, ownership=Ownership.CLIENT, **kwargs) -> DeviceFacts:
    kwargs.setdefault("covered_classes", ALL_CLASSES)
    return DeviceFacts(device_class=device_class, ownership=ownership, **kwargs)


def test_r22_device_class_not_in_the_agreement_is_not_covered():
    decision = device_coverage(_device(DeviceClass.SERVER, covered_classes=frozenset({DeviceClass.WORKSTATION})))
    assert not decision.allowed
    assert decision.code == "device_class_not_covered"
    assert decision.rules == ("R22",)


def test_r22_other_devices_are_not_covered_by_default():
    assert device_coverage(_device(DeviceClass.OTHER)).code == "device_class_not_covered"


@pytest.mark.parametrize("device_class", [DeviceClass.LAPTOP, DeviceClass.MOBILE, DeviceClass.SERVER])
def test_r22_user_owned_non_byod_equipment_is_not_covered(device_class):
    decision = device_coverage(_device(device_class, Ownership.USER_OTHER))
    assert not decision.allowed
    assert decision.code == "user_owned_device"


@pytest.mark.parametrize("device_class", [DeviceClass.WORKSTATION, DeviceClass.LAPTOP, DeviceClass.TABLET])
def test_r22_byod_workstations_and_tablets_are_covered(device_class):
    decision = device_coverage(_device(device_class, Ownership.USER_BYOD))
    assert decision.allowed
    assert decision.code == "covered"
    assert decision.scope_limit is None


@pytest.mark.parametrize(
    "device_class",
    [DeviceClass.MOBILE, DeviceClass.SERVER, DeviceClass.PRINTER, DeviceClass.VOIP_PHONE],
)
def test_r22_byod_phones_servers_and_others_are_refused(device_class):
    decision = device_coverage(_device(device_class, Ownership.USER_BYOD))
    assert not decision.allowed
    assert decision.code == "byod_class_not_covered"


@pytest.mark.parametrize("ownership", [Ownership.CLIENT, Ownership.PROVIDER, Ownership.USER_BYOD])
def test_r22_device_beyond_vendor_support_is_excluded(ownership):
    decision = device_coverage(_device(DeviceClass.LAPTOP, ownership, beyond_vendor_support=True))
    assert not decision.allowed
    assert decision.code == "beyond_vendor_support"


def test_r22_mobile_is_limited_to_mfa_and_microsoft_365():
    decision = device_coverage(_device(DeviceClass.MOBILE))
    assert decision.allowed
    assert decision.code == "covered_limited"
    assert decision.scope_limit is not None
    assert "MFA" in decision.scope_limit
    assert "Microsoft 365" in decision.scope_limit


def test_r22_mobile_on_unsupported_platform_is_refused():
    decision = device_coverage(_device(DeviceClass.MOBILE, mobile_platform_vendor_supported=False))
    assert not decision.allowed
    assert decision.code == "mobile_platform_unsupported"


def test_r22_platform_flag_matters_only_for_mobiles():
    decision = device_coverage(_device(DeviceClass.LAPTOP, mobile_platform_vendor_supported=False))
    assert decision.allowed
    assert decision.code == "covered"


@pytest.mark.parametrize(
    ("device_class", "words"),
    [
        (DeviceClass.VOIP_PHONE, ["Network connectivity only"]),
        (DeviceClass.PRINTER, ["Network connectivity", "application printing"]),
    ],
)
def test_r22_voip_and_printers_have_a_limited_scope(device_class, words):
    decision = device_coverage(_device(device_class))
    assert decision.allowed
    assert decision.code == "covered_limited"
    assert decision.scope_limit == decision.message
    for word in words:
        assert word in decision.scope_limit


@pytest.mark.parametrize(
    "device_class",
    [DeviceClass.SERVER, DeviceClass.FIREWALL, DeviceClass.SWITCH, DeviceClass.WORKSTATION],
)
@pytest.mark.parametrize("ownership", [Ownership.PROVIDER, Ownership.CLIENT])
def test_r22_provider_and_client_owned_devices_are_covered(device_class, ownership):
    decision = device_coverage(_device(device_class, ownership))
    assert decision.allowed
    assert decision.code == "covered"
    assert decision.scope_limit is None


# --- R26: supported offices -------------------------------------------------------------------


def test_r26_on_site_support_at_a_supported_office():
    decision = on_site_support(7, [3, 7])
    assert decision.allowed
    assert decision.code == "supported_office"
    assert decision.rules == ("R26",)


@pytest.mark.parametrize(("site", "supported"), [(None, [3, 7]), (None, []), (5, [3, 7]), (3, [])])
def test_r26_on_site_support_refused_away_from_supported_offices(site, supported):
    decision = on_site_support(site, supported)
    assert not decision.allowed
    assert decision.code == "site_not_supported"
    assert set(decision.rules) == {"R26", "R22"}


# --- R23: provisioning rates ------------------------------------------------------------------

STD, NON_STD = ProvisioningConfiguration.STANDARD, ProvisioningConfiguration.NON_STANDARD
REMOTE, ON_SITE = ProvisioningDelivery.REMOTE, ProvisioningDelivery.ON_SITE


@pytest.mark.parametrize(
    ("configuration", "delivery", "each"),
    [
        (STD, REMOTE, Decimal("150")),
        (STD, ON_SITE, Decimal("550")),
        (NON_STD, REMOTE, Decimal("400")),
        (NON_STD, ON_SITE, Decimal("700")),
    ],
)
@pytest.mark.parametrize("quantity", [1, 3, 12])
def test_r23_default_provisioning_rates_times_quantity(configuration, delivery, each, quantity):
    cost = provisioning_cost(
        configuration=configuration, delivery=delivery, quantity=quantity, rates=ProvisioningRates()
    )
    assert cost == each * quantity
    assert cost.as_tuple().exponent == -2


@pytest.mark.parametrize(("configuration", "delivery"), [("standard", "remote"), ("non_standard", "on_site")])
def test_r23_plain_string_kinds_are_accepted(configuration, delivery):
    cost = provisioning_cost(configuration=configuration, delivery=delivery, quantity=2, rates=ProvisioningRates())
    assert cost in {Decimal("300.00"), Decimal("1400.00")}


def test_r23_custom_rates_are_configurable_per_agreement():
    rates = ProvisioningRates(
        standard_remote=Decimal("125.00"),
        standard_on_site=Decimal("499.99"),
        non_standard_remote=Decimal("410.005"),
        non_standard_on_site=Decimal("0.00"),
    )

    def cost(configuration, delivery, quantity):
        return provisioning_cost(configuration=configuration, delivery=delivery, quantity=quantity, rates=rates)

    assert cost(STD, REMOTE, 4) == Decimal("500.00")
    assert cost(STD, ON_SITE, 3) == Decimal("1499.97")
    assert str(cost(NON_STD, REMOTE, 1)) == "410.01"  # rounded half up to the cent
    assert cost(NON_STD, ON_SITE, 5) == Decimal("0.00")


@pytest.mark.parametrize("quantity", [0, -1, -10])
def test_r23_quantity_below_one_is_refused(quantity):
    with pytest.raises(ValueError, match="quantity"):
        provisioning_cost(configuration=STD, delivery=REMOTE, quantity=quantity, rates=ProvisioningRates())


@pytest.mark.parametrize(
    ("configuration", "delivery"),
    [("premium", "remote"), ("standard", "courier"), ("", ""), ("Standard", "Remote")],
)
def test_r23_unknown_provisioning_kind_is_refused(configuration, delivery):
    with pytest.raises(ValueError, match="unknown provisioning kind"):
        provisioning_cost(configuration=configuration, delivery=delivery, quantity=1, rates=ProvisioningRates())


# --- R28, R20: vendor escalation --------------------------------------------------------------

TODAY = dt.date(2026, 6, 10)


def _coverage(coverage_id=1, *, authorized=True, starts_on=None, expires_on=None, vendor="Dell"):
    return CoverageFact(
        coverage_id=coverage_id,
        vendor=vendor,
        covers="hardware",
        provider_is_authorized_user=authorized,
        starts_on=starts_on,
        expires_on=expires_on,
    )


def test_r28_r20_no_vendor_coverage_refuses_vendor_escalation():
    decision = vendor_escalation([], TODAY)
    assert not decision.allowed
    assert decision.code == "no_vendor_coverage"
    assert decision.coverage is None
    assert set(decision.rules) == {"R28", "R20"}


@pytest.mark.parametrize(
    "coverage",
    [
        pytest.param(_coverage(expires_on=TODAY - dt.timedelta(days=1)), id="expired-yesterday"),
        pytest.param(_coverage(starts_on=TODAY + dt.timedelta(days=1)), id="starts-tomorrow"),
        pytest.param(
            _coverage(starts_on=dt.date(2025, 1, 1), expires_on=dt.date(2025, 12, 31)),
            id="last-year",
        ),
    ],
)
def test_r28_expired_or_not_started_coverage_refuses(coverage):
    decision = vendor_escalation([coverage], TODAY)
    assert not decision.allowed
    assert decision.code == "vendor_coverage_expired"
    assert decision.coverage is None


def test_r28_provider_not_authorized_user_refuses():
    decision = vendor_escalation(
        [
            _coverage(1, authorized=False),
            _coverage(2, authorized=True, expires_on=TODAY - dt.timedelta(days=1)),
        ],
        TODAY,
    )
    assert not decision.allowed
    assert decision.code == "provider_not_authorized"


@pytest.mark.parametrize(
    ("starts_on", "expires_on"),
    [
        pytest.param(None, TODAY, id="expires-today-inclusive"),
        pytest.param(TODAY, None, id="starts-today-inclusive"),
        pytest.param(TODAY, TODAY, id="one-day"),
        pytest.param(None, None, id="open-ended"),
    ],
)
def test_r28_current_authorized_coverage_allows_vendor_escalation(starts_on, expires_on):
    coverage = _coverage(starts_on=starts_on, expires_on=expires_on)
    decision = vendor_escalation([coverage], TODAY)
    assert decision.allowed
    assert decision.code == "vendor_escalation_possible"
    assert decision.coverage == coverage
    assert "Dell" in decision.message


def test_r28_the_authorized_coverage_that_lasts_longest_is_chosen():
    short = _coverage(1, expires_on=TODAY + dt.timedelta(days=10), vendor="Short")
    long = _coverage(2, expires_on=TODAY + dt.timedelta(days=300), vendor="Long")
    longer_unauthorized = _coverage(3, authorized=False, expires_on=TODAY + dt.timedelta(days=900), vendor="Nope")
    expired = _coverage(4, expires_on=TODAY - dt.timedelta(days=1), vendor="Old")
    decision = vendor_escalation([short, longer_unauthorized, expired, long], TODAY)
    assert decision.allowed
    assert decision.coverage == long
    assert "Long" in decision.message


def test_r28_open_ended_authorized_coverage_beats_a_dated_one():
    dated = _coverage(1, expires_on=TODAY + dt.timedelta(days=3000))
    open_ended = _coverage(2, expires_on=None)
    assert vendor_escalation([dated, open_ended], TODAY).coverage == open_ended


# --- R2: POC seats ----------------------------------------------------------------------------


@pytest.mark.parametrize(("poc_count", "included", "extra"), [(0, 2, 0), (1, 2, 0), (2, 2, 0), (3, 2, 1), (5, 2, 3)])
def test_r2_extra_pocs_are_those_beyond_the_included_ones(poc_count, included, extra):
    assert extra_pocs(poc_count, included) == extra


def test_r2_a_third_poc_needs_the_extra_poc_fee():
    problem = poc_seat_problem(poc_count=3, included_pocs=2, extra_poc_fee=None)
    assert problem is not None
    assert "R2" in problem


@pytest.mark.parametrize(("poc_count", "fee"), [(2, None), (1, None), (3, Decimal("45.00")), (3, Decimal("0"))])
def test_r2_included_pocs_or_a_set_fee_are_fine(poc_count, fee):
    assert poc_seat_problem(poc_count=poc_count, included_pocs=2, extra_poc_fee=fee) is None


# --- R2, R3, R5, R6: activation ---------------------------------------------------------------

COMPLETE_FEES: dict[str, Decimal | None] = {
    UserLevel.END_USER: Decimal("100.00"),
    UserLevel.VIP: Decimal("150.00"),
    UserLevel.PARTIAL: Decimal("40.00"),
    UserLevel.EMAIL_ONLY: Decimal("10.00"),
}


def _activation(**overrides: Any) -> ActivationFacts:
    base = ActivationFacts(
        status=AgreementStatus.DRAFT,
        is_vertical=False,
        starts_on=dt.date(2026, 7, 1),
        backup_service=BackupService.SERVER_BACKUP,
        backup_monthly_price=Decimal("250.00"),
        has_strategic_advisor=True,
        strategic_advisor_has_vertical=False,
        has_technology_alignment_engineer=True,
        poc_count=2,
        included_pocs=2,
        extra_poc_fee=None,
        level_fees=dict(COMPLETE_FEES),
        client_has_other_active=False,
    )
    return dataclasses.replace(base, **overrides)


def _codes_and_fields(problems: list[Problem]) -> set[tuple[str, str | None]]:
    return {(p.code, p.field) for p in problems}


@pytest.mark.parametrize("backup", [BackupService.SERVER_BACKUP, BackupService.SERVER_BACKUP_DR])
def test_r2_r3_r5_r6_a_complete_draft_has_no_activation_problems(backup):
    assert activation_problems(_activation(backup_service=backup)) == []


def test_r5_complete_vertical_draft_with_vertical_advisor_has_no_problems():
    facts = _activation(is_vertical=True, strategic_advisor_has_vertical=True)
    assert activation_problems(facts) == []


def test_r6_a_zero_fee_is_a_set_fee():
    fees = dict.fromkeys(COMPLETE_FEES, Decimal("0"))
    assert activation_problems(_activation(level_fees=fees, backup_monthly_price=Decimal("0"))) == []


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        pytest.param({"backup_service": ""}, Code.BACKUP_REQUIRED, "backup_service", id="R3-service"),
        pytest.param(
            {"backup_monthly_price": None},
            Code.BACKUP_PRICE_REQUIRED,
            "backup_monthly_price",
            id="R3-price",
        ),
        pytest.param(
            {"has_strategic_advisor": False},
            Code.STRATEGIC_ADVISOR_REQUIRED,
            "strategic_advisor",
            id="R5-advisor",
        ),
        pytest.param(
            {"is_vertical": True, "strategic_advisor_has_vertical": False},
            Code.STRATEGIC_ADVISOR_NOT_VERTICAL,
            "strategic_advisor",
            id="R5-vertical-advisor",
        ),
        pytest.param(
            {"has_technology_alignment_engineer": False},
            Code.TAE_REQUIRED,
            "technology_alignment_engineer",
            id="R5-tae",
        ),
        pytest.param(
            {"poc_count": 3, "extra_poc_fee": None},
            Code.EXTRA_POC_FEE_REQUIRED,
            "extra_poc_monthly_fee",
            id="R2-extra-poc-fee",
        ),
        pytest.param({"starts_on": None}, Code.START_DATE_REQUIRED, "starts_on", id="start-date"),
        pytest.param({"client_has_other_active": True}, Code.ALREADY_ACTIVE, "client", id="already-active"),
    ],
)
def test_r2_r3_r5_each_missing_item_is_reported_on_its_field(overrides, code, field):
    problems = activation_problems(_activation(**overrides))
    assert _codes_and_fields(problems) == {(code, field)}
    assert len(problems) == 1
    assert problems[0].message


@pytest.mark.parametrize(
    ("level", "field"),
    [
        (UserLevel.END_USER, "end_user_monthly_fee"),
        (UserLevel.VIP, "vip_monthly_fee"),
        (UserLevel.PARTIAL, "partial_monthly_fee"),
        (UserLevel.EMAIL_ONLY, "email_only_monthly_fee"),
    ],
)
@pytest.mark.parametrize("how", ["absent", "none"])
def test_r6_each_level_fee_is_required(level, field, how):
    fees: dict[str, Decimal | None] = dict(COMPLETE_FEES)
    if how == "absent":
        del fees[level]
    else:
        fees[level] = None
    problems = activation_problems(_activation(level_fees=fees))
    assert _codes_and_fields(problems) == {(Code.LEVEL_FEE_REQUIRED, field)}
    assert "R6" in problems[0].message


def test_r5_vertical_agreement_without_any_advisor_reports_only_the_missing_advisor():
    problems = activation_problems(
        _activation(is_vertical=True, has_strategic_advisor=False, strategic_advisor_has_vertical=False)
    )
    assert _codes_and_fields(problems) == {(Code.STRATEGIC_ADVISOR_REQUIRED, "strategic_advisor")}


def test_r5_non_vertical_agreement_does_not_need_a_vertical_advisor():
    assert activation_problems(_activation(is_vertical=False, strategic_advisor_has_vertical=False)) == []


def test_r2_r3_r5_r6_every_problem_is_reported_at_once():
    problems = activation_problems(
        _activation(
            is_vertical=True,
            starts_on=None,
            backup_service="",
            backup_monthly_price=None,
            has_strategic_advisor=True,
            strategic_advisor_has_vertical=False,
            has_technology_alignment_engineer=False,
            poc_count=4,
            extra_poc_fee=None,
            level_fees={},
            client_has_other_active=True,
        )
    )
    assert _codes_and_fields(problems) == {
        (Code.ALREADY_ACTIVE, "client"),
        (Code.BACKUP_REQUIRED, "backup_service"),
        (Code.BACKUP_PRICE_REQUIRED, "backup_monthly_price"),
        (Code.STRATEGIC_ADVISOR_NOT_VERTICAL, "strategic_advisor"),
        (Code.TAE_REQUIRED, "technology_alignment_engineer"),
        (Code.EXTRA_POC_FEE_REQUIRED, "extra_poc_monthly_fee"),
        (Code.LEVEL_FEE_REQUIRED, "end_user_monthly_fee"),
        (Code.LEVEL_FEE_REQUIRED, "vip_monthly_fee"),
        (Code.LEVEL_FEE_REQUIRED, "partial_monthly_fee"),
        (Code.LEVEL_FEE_REQUIRED, "email_only_monthly_fee"),
        (Code.START_DATE_REQUIRED, "starts_on"),
    }
    assert len(problems) == 11


@pytest.mark.parametrize("status", [AgreementStatus.ACTIVE, AgreementStatus.TERMINATED])
def test_r2_r3_r5_r6_activation_of_a_non_draft_reports_only_not_draft(status):
    problems = activation_problems(
        _activation(
            status=status,
            backup_service="",
            backup_monthly_price=None,
            has_strategic_advisor=False,
            starts_on=None,
            level_fees={},
        )
    )
    assert _codes_and_fields(problems) == {(Code.NOT_DRAFT, "status")}
    assert len(problems) == 1
