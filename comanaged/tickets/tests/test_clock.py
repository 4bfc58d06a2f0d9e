"""The response clock (R16–R19, R9, R12, R13): when it starts, what stops it and what does not,
exclusions with their reasons, re-targets, pauses, new clocks on re-escalation, and the
warning and breach timers fired exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django_tasks_db.models import DBTaskResult

from comanaged.agreements.models import ListedApplication
from comanaged.core.errors import ApplicationError
from comanaged.sla.models import BreachAction, ResponseTerms
from comanaged.tenancy.tests.factories import VerticalFactory, make_staff, sign_in_person
from comanaged.tickets import conversation, desk, relations
from comanaged.tickets.clock.models import ClockEvent, ClockState, ClockTimer, ResponseClock
from comanaged.tickets.clock.timers import fire_due
from comanaged.tickets.models import Ticket, TicketEvent
from comanaged.tickets.services import ticket_escalate, ticket_resolve, ticket_update
from comanaged.tickets.tests.helpers import complete_ticket, make_contract
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in New York
MINUTE = dt.timedelta(minutes=1)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def escalate_at(minutes: float, agreement, person, **fields) -> Ticket:
    with time_machine.travel(at(minutes), tick=False):
        ticket = complete_ticket(agreement, person, **fields)
        return ticket_escalate(ticket=ticket, actor=None, escalating_person=person)


def clock_of(ticket: Ticket) -> ResponseClock:
    return ResponseClock.objects.get(ticket=ticket, is_current=True)


def kinds(clock: ResponseClock) -> list[str]:
    return list(ClockEvent.objects.filter(clock=clock).values_list("kind", flat=True))


def test_r17_the_clock_starts_at_the_escalation_not_when_the_poc_logged_it():
    agreement, poc, _ = make_contract()
    with time_machine.travel(at(0), tick=False):
        ticket = complete_ticket(agreement, poc, priority="P2")
    assert not ResponseClock.objects.filter(ticket=ticket).exists()  # the POC's own queue: no clock
    with time_machine.travel(at(90), tick=False):
        ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    clock = clock_of(ticket)
    assert (clock.started_at, clock.state, clock.target_seconds) == (at(90), "running", 2 * 3600)
    assert clock.due_at == at(90 + 120) == Ticket.objects.get(pk=ticket.pk).respond_due_at
    timers = dict(ClockTimer.objects.filter(clock=clock).values_list("kind", "fire_at"))
    assert timers == {"warning": at(90 + 90), "breach": at(90 + 120)}  # 75 % of 2 h


def test_r17_only_an_appropriate_resource_stops_the_clock_a_note_or_assignment_does_not():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P1")
    dispatcher, l1, l2 = make_staff("dispatcher"), make_staff("technician"), make_staff("technician", tier=2)
    with time_machine.travel(at(5), tick=False):
        desk.ticket_set_required_tier(ticket=ticket, actor=dispatcher.user, tier="l2", reason="Needs AD rights")
        conversation.ticket_add_note(ticket=ticket, actor=l1.user, text="Looking", public=True)
        desk.ticket_assign(ticket=ticket, actor=dispatcher.user, assignee=l1)
    with time_machine.travel(at(10), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=l1.user)
    clock = clock_of(ticket)
    assert clock.state == "running" and clock.stopped_at is None
    assert Ticket.objects.get(pk=ticket.pk).work_started_at is None
    not_counted = ClockEvent.objects.get(clock=clock, kind="start_not_counted")
    assert (not_counted.data["staff_tier"], not_counted.data["required_tier"]) == ("l1", "l2")
    with time_machine.travel(at(42), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=l2.user)
    clock = clock_of(ticket)
    assert (clock.state, clock.stopped_at, clock.stopped_by, clock.response_seconds) == ("met", at(42), l2, 42 * 60)
    assert kinds(clock) == ["started", "required_tier", "start_not_counted", "stopped"]
    assert not ClockTimer.objects.filter(clock=clock, fired_at__isnull=True).exists()


def test_r17_only_dispatchers_and_admins_triage_the_required_tier():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc)
    with pytest.raises(PermissionDenied):
        desk.ticket_set_required_tier(ticket=ticket, actor=make_staff("technician").user, tier="l3", reason="x")
    with pytest.raises(ApplicationError) as caught:
        desk.ticket_set_required_tier(ticket=ticket, actor=make_staff("dispatcher").user, tier="l3", reason=" ")
    assert caught.value.problems[0].field == "reason"
    assert Ticket.objects.get(pk=ticket.pk).required_tier == "l1"


def test_r12_r17_on_a_vertical_agreement_a_generalist_start_does_not_stop_the_clock():
    health = VerticalFactory(name="Healthcare")
    agreement, poc, _ = make_contract(
        vertical=health,
        strategic_advisor=make_staff("strategic_advisor", verticals=[health]),
        technology_alignment_engineer=make_staff("technology_alignment_engineer", verticals=[health]),
    )
    ticket = escalate_at(0, agreement, poc, priority="P2")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=make_staff("technician").user, reason="Specialists are busy")
    assert clock_of(ticket).state == "running"
    with time_machine.travel(at(150), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=make_staff("technician", verticals=[health]).user)
    clock = clock_of(ticket)
    assert (clock.state, clock.vertical, clock.response_seconds) == ("missed", health, 150 * 60)


def test_r18_a_service_request_at_p1_is_excluded_with_its_reason():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P1", type="service_request")
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at, clock.target_seconds) == ("excluded", None, None)
    assert clock.exclusion["code"] == "service_request_high_priority" and "R18" in clock.exclusion["rules"]
    assert kinds(clock) == ["started", "excluded"]
    assert not ClockTimer.objects.filter(clock=clock).exists()


def test_r19_an_incident_on_an_unlisted_application_is_excluded_and_listing_it_brings_the_target_back():
    agreement, poc, _ = make_contract()
    ListedApplication.objects.create(agreement=agreement, client=agreement.client, name="Epic")
    ticket = escalate_at(0, agreement, poc, priority="P2", application_name="Homegrown CRM")
    clock = clock_of(ticket)
    assert clock.state == "excluded" and "R19" in clock.exclusion["rules"]
    listed = ListedApplication.objects.get(name="Epic")
    with time_machine.travel(at(30), tick=False):
        ticket_update(
            ticket=ticket, actor=make_staff("dispatcher").user, changes={"application": listed, "application_name": ""}
        )
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at) == ("running", at(120))  # measured from the escalation
    assert kinds(clock) == ["started", "excluded", "included", "retargeted"]


def test_r16_a_priority_change_retargets_from_the_original_escalation_and_a_late_one_breaches_at_once():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P4")
    assert clock_of(ticket).due_at == at(24 * 60)
    with time_machine.travel(at(180), tick=False):
        ticket_update(ticket=ticket, actor=make_staff("dispatcher").user, changes={"priority": "P1"})
    clock = clock_of(ticket)
    assert (clock.priority, clock.due_at) == ("P1", at(60))
    retargeted = ClockEvent.objects.get(clock=clock, kind="retargeted")
    assert retargeted.data["before"]["priority"] == "P4" and retargeted.data["target_seconds"] == 3600
    assert fire_due(at(180)) == 2  # the warning and the breach, both already due
    clock.refresh_from_db()
    assert clock.breached_at == at(180)


def test_r16_warning_and_breach_fire_once_each_with_their_effects():
    agreement, poc, _ = make_contract()
    advisor = agreement.strategic_advisor
    dispatcher = make_staff("dispatcher")
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/x", events=["ticket.sla_warning", "ticket.sla_breached"], secret="s" * 32
    )
    ticket = escalate_at(0, agreement, poc, priority="P1")
    assert fire_due(at(44)) == 0
    assert fire_due(at(45)) == 1  # 75 % of an hour
    assert fire_due(at(45)) == 0 and fire_due(at(59)) == 0
    assert fire_due(at(60)) == 1
    assert fire_due(at(61)) == 0
    clock = clock_of(ticket)
    assert kinds(clock) == ["started", "warning", "breached"]
    assert clock.state == "running"  # missed only once someone responds, or the ticket closes
    events = TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_")
    assert [(e.kind, e.public) for e in events] == [("sla_warning", False), ("sla_breached", False)]
    deliveries = WebhookDelivery.objects.order_by("id").values_list("event", flat=True)
    assert list(deliveries) == ["ticket.sla_warning", "ticket.sla_breached"]
    mails = [
        row.args_kwargs["kwargs"]
        for row in DBTaskResult.objects.filter(queue_name="email")
        if "respond target" in row.args_kwargs["kwargs"]["subject"]
    ]
    recipients = {address for mail in mails for address in mail["to"]}
    assert len(mails) == 2 and recipients == {dispatcher.user.email, advisor.user.email}
    with time_machine.travel(at(70), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=make_staff("technician").user)
    assert clock_of(ticket).state == "missed"


def test_r16_a_breach_can_raise_the_ticket_a_tier_as_the_agreement_says():
    agreement, poc, _ = make_contract()
    ResponseTerms.objects.create(agreement=agreement, client=agreement.client, breach_action=BreachAction.RAISE_TIER)
    ticket = escalate_at(0, agreement, poc, priority="P1")
    technician = make_staff("technician")
    desk.ticket_assign(ticket=ticket, actor=make_staff("dispatcher").user, assignee=technician)
    fire_due(at(61))
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.assignee, ticket.status) == ("l2", None, "escalated")
    # Now only an L2 start is the response: the L1 who was assigned no longer stops it.
    with time_machine.travel(at(65), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=technician.user)
    assert clock_of(ticket).stopped_at is None


def test_pauses_are_per_agreement_recorded_with_reasons_and_move_the_deadline():
    agreement, poc, _ = make_contract()
    ResponseTerms.objects.create(agreement=agreement, client=agreement.client, pause_waiting_on_client=True)
    ticket = escalate_at(0, agreement, poc, priority="P2")
    technician = make_staff("technician")
    with time_machine.travel(at(30), tick=False):
        desk.ticket_set_status(ticket=ticket, actor=technician.user, status="waiting_on_client", note="Need the log")
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at, Ticket.objects.get(pk=ticket.pk).respond_due_at) == ("paused", None, None)
    assert ClockEvent.objects.get(clock=clock, kind="paused").text == "Need the log"
    assert fire_due(at(500)) == 0  # a paused clock neither warns nor breaches
    with time_machine.travel(at(100), tick=False):
        desk.ticket_set_status(ticket=ticket, actor=make_staff("dispatcher").user, status="waiting_on_vendor")
    clock = clock_of(ticket)  # waiting on the vendor does not pause on this agreement
    assert (clock.state, clock.due_at) == ("running", at(100 + 90))
    with time_machine.travel(at(150), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=technician.user)
    clock = clock_of(ticket)
    assert (clock.state, clock.response_seconds) == ("met", (30 + 50) * 60)


def test_without_pausing_terms_waiting_on_the_client_does_not_stop_the_clock():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P2")
    with time_machine.travel(at(30), tick=False):
        desk.ticket_set_status(ticket=ticket, actor=make_staff("dispatcher").user, status="waiting_on_client")
    assert (clock_of(ticket).state, clock_of(ticket).due_at) == ("running", at(120))


def test_a_reopened_ticket_escalated_again_gets_a_new_clock_and_keeps_the_old_one():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P3")
    technician = make_staff("technician")
    with time_machine.travel(at(20), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=technician.user)
        ticket_resolve(ticket=ticket, actor=technician.user, resolution="Repaired the profile")
    with time_machine.travel(at(24 * 60), tick=False):
        conversation.ticket_reopen(ticket=ticket, actor=sign_in_person(poc), reason="It crashed again")
    clocks = list(ResponseClock.objects.filter(ticket=ticket).order_by("sequence"))
    assert [(c.sequence, c.is_current, c.state) for c in clocks] == [(1, False, "met"), (2, True, "running")]
    assert clocks[1].started_at == at(24 * 60) and clocks[1].due_at == at(24 * 60 + 14 * 60)


def test_r17_an_appropriate_technician_resolving_is_the_response_a_poc_withdrawing_is_not():
    agreement, poc, _ = make_contract()
    first = escalate_at(0, agreement, poc, priority="P2")
    with time_machine.travel(at(15), tick=False):
        ticket_resolve(ticket=first, actor=make_staff("technician").user, resolution="Reset the password")
    assert (clock_of(first).state, clock_of(first).response_seconds) == ("met", 15 * 60)
    second = escalate_at(0, agreement, poc, priority="P2")
    poc_user = sign_in_person(poc)
    with time_machine.travel(at(15), tick=False):
        ticket_resolve(ticket=second, actor=poc_user, resolution="Fixed it ourselves")
    assert clock_of(second).state == ClockState.CANCELLED
    third = escalate_at(0, agreement, poc, priority="P2")
    with time_machine.travel(at(200), tick=False):
        ticket_resolve(ticket=third, actor=poc_user, resolution="Fixed it ourselves, too late")
    assert clock_of(third).state == ClockState.MISSED
    assert not ClockTimer.objects.filter(clock__ticket__in=[first, second, third], fired_at__isnull=True).exists()


def test_a_merged_duplicate_s_clock_is_cancelled():
    agreement, poc, _ = make_contract()
    keeper, duplicate = escalate_at(0, agreement, poc), escalate_at(0, agreement, poc)
    with time_machine.travel(at(5), tick=False):
        relations.ticket_merge(source=duplicate, target=keeper, actor=make_staff("dispatcher").user)
    assert (clock_of(duplicate).state, clock_of(keeper).state) == ("cancelled", "running")


def test_a_verdict_override_excludes_then_includes_and_says_why():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P2")
    dispatcher = make_staff("dispatcher")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_override_verdict(ticket=ticket, actor=dispatcher.user, verdict="billable", reason="New project")
    clock = clock_of(ticket)
    assert clock.state == "excluded" and clock.exclusion["message"] == "New project"
    assert not ClockTimer.objects.filter(clock=clock, fired_at__isnull=True).exists()
    with time_machine.travel(at(20), tick=False):
        desk.ticket_override_verdict(ticket=ticket, actor=dispatcher.user, verdict="covered", reason="Break-fix")
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at) == ("running", at(120))


def test_an_escalation_in_the_future_is_refused_and_nothing_changes():
    agreement, poc, _ = make_contract()
    ticket = complete_ticket(agreement, poc)
    with pytest.raises(ApplicationError) as caught:
        ticket_escalate(
            ticket=ticket, actor=None, escalating_person=poc, at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
        )
    assert caught.value.code == "escalated_in_future"
    ticket.refresh_from_db()
    assert (ticket.status, ticket.escalated_at) == ("new", None)
    assert not ResponseClock.objects.filter(ticket=ticket).exists()


def test_r17_a_start_that_does_not_count_still_resumes_a_paused_clock():
    agreement, poc, _ = make_contract()
    ResponseTerms.objects.create(agreement=agreement, client=agreement.client, pause_waiting_on_client=True)
    ticket = escalate_at(0, agreement, poc, priority="P2")
    dispatcher = make_staff("dispatcher")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_set_required_tier(ticket=ticket, actor=dispatcher.user, tier="l3", reason="Exchange internals")
        desk.ticket_set_status(ticket=ticket, actor=dispatcher.user, status="waiting_on_client")
    with time_machine.travel(at(40), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=make_staff("technician").user)  # an L1: not the response
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at) == ("running", at(40 + 110))
    assert kinds(clock)[-3:] == ["paused", "resumed", "start_not_counted"]


def test_a_verdict_change_after_an_unanswered_close_does_not_restart_the_clock():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P1", type="service_request")  # R18: excluded
    with time_machine.travel(at(90), tick=False):
        ticket_resolve(ticket=ticket, actor=None, resolution="Done by the vendor")
        desk.ticket_override_verdict(
            ticket=ticket, actor=make_staff("dispatcher").user, verdict="covered", reason="Was an outage"
        )
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at) == ("missed", at(60))  # closed at 90 min against a 60 min target
    assert not ClockTimer.objects.filter(clock=clock, fired_at__isnull=True).exists()


def test_r16_a_sweep_fires_at_most_its_limit_and_the_next_one_goes_on():
    agreement, poc, _ = make_contract()
    for _ in range(3):
        escalate_at(0, agreement, poc, priority="P1")
    assert fire_due(at(61), batch=2, limit=4) == 4
    assert fire_due(at(61), batch=2, limit=4) == 2
    assert not ClockTimer.objects.filter(fired_at__isnull=True).exists()


def test_r17_when_the_client_answers_a_paused_clock_runs_again():
    agreement, poc, _ = make_contract()
    ResponseTerms.objects.create(agreement=agreement, client=agreement.client, pause_waiting_on_client=True)
    ticket = escalate_at(0, agreement, poc, priority="P2")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_set_status(ticket=ticket, actor=make_staff("dispatcher").user, status="waiting_on_client")
    with time_machine.travel(at(20), tick=False):
        conversation.ticket_add_note(ticket=ticket, actor=sign_in_person(poc), text="Here is the log")
    clock = clock_of(ticket)
    assert (clock.state, clock.due_at) == ("running", at(20 + 110))
    assert fire_due(at(131)) == 2


def test_r17_an_appropriate_assignee_can_start_a_ticket_someone_else_set_in_progress():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P2")
    dispatcher, l2 = make_staff("dispatcher"), make_staff("technician", tier=2)
    with time_machine.travel(at(5), tick=False):
        desk.ticket_assign(ticket=ticket, actor=dispatcher.user, assignee=l2)
        desk.ticket_set_status(ticket=ticket, actor=dispatcher.user, status="in_progress")
    with time_machine.travel(at(30), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=l2.user)
    assert (clock_of(ticket).state, clock_of(ticket).response_seconds) == ("met", 30 * 60)
    with pytest.raises(ApplicationError):
        desk.ticket_start_work(ticket=ticket, actor=l2.user)  # now it is a second press


def test_r16_a_change_after_the_response_keeps_the_outcome():
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P1")
    with time_machine.travel(at(90), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=make_staff("technician").user)
        ticket_update(ticket=ticket, actor=make_staff("dispatcher").user, changes={"priority": "P3"})
    clock = clock_of(ticket)
    assert (clock.state, clock.priority) == ("missed", "P1")
    assert kinds(clock)[-1] == "not_retargeted"


def test_r20_a_breach_never_moves_a_vendor_ticket_down_a_tier():
    agreement, poc, _ = make_contract()
    ResponseTerms.objects.create(agreement=agreement, client=agreement.client, breach_action=BreachAction.RAISE_TIER)
    ticket = escalate_at(0, agreement, poc, priority="P1")
    Ticket.objects.filter(pk=ticket.pk).update(tier="vendor", status="waiting_on_vendor")
    fire_due(at(61))
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.status) == ("vendor", "waiting_on_vendor")
