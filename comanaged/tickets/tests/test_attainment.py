"""Attainment (R16–R19): met, missed, excluded and open clocks per group, with the time to respond."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from comanaged.tenancy.tests.factories import make_staff
from comanaged.tickets import desk
from comanaged.tickets.clock.attainment import attainment, clocks_between, outcome, overall, percentile
from comanaged.tickets.clock.models import ResponseClock
from comanaged.tickets.tests.helpers import make_contract
from comanaged.tickets.tests.test_clock import at, escalate_at

pytestmark = pytest.mark.django_db


def started(ticket, minutes, technician):
    with time_machine.travel(at(minutes), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=technician.user)


def test_r16_r18_attainment_counts_met_missed_excluded_and_open_with_the_time_to_respond():
    agreement, poc, _ = make_contract()
    alice, bob = make_staff("technician"), make_staff("technician")
    p1_met = escalate_at(0, agreement, poc, priority="P1")
    p1_missed = escalate_at(0, agreement, poc, priority="P1")
    p2_met = escalate_at(0, agreement, poc, priority="P2")
    escalate_at(0, agreement, poc, priority="P1", type="service_request")  # R18: excluded
    escalate_at(0, agreement, poc, priority="P4")  # still open, due tomorrow
    started(p1_met, 20, alice)
    started(p1_missed, 75, bob)
    started(p2_met, 40, alice)
    clocks = ResponseClock.objects.filter(client=agreement.client)
    now = at(80)
    total = overall(clocks, now=now)
    assert (total.met, total.missed, total.excluded, total.open) == (2, 1, 1, 1)
    assert total.rate == pytest.approx(2 / 3)
    assert (total.median_seconds, total.p90_seconds) == (40 * 60, 75 * 60)
    by_priority = {row.key: row for row in attainment(clocks, by="priority", now=now)}
    assert (by_priority["P1"].met, by_priority["P1"].missed, by_priority["P1"].excluded) == (1, 1, 1)
    assert by_priority["P4"].open == 1 and by_priority["P4"].rate is None
    by_technician = {row.key: row for row in attainment(clocks, by="technician", now=now)}
    assert (by_technician[alice.pk].met, by_technician[bob.pk].missed) == (2, 1)
    by_month = attainment(clocks, by="month", time_zone="America/New_York", now=now)
    assert [(row.key, row.measured) for row in by_month] == [("2026-11", 3)]


def test_an_open_clock_past_its_deadline_is_already_a_miss():
    agreement, poc, _ = make_contract()
    escalate_at(0, agreement, poc, priority="P1")
    clocks = ResponseClock.objects.filter(client=agreement.client)
    assert overall(clocks, now=at(59)).open == 1
    assert overall(clocks, now=at(61)).missed == 1


def test_a_period_and_a_client_select_the_clocks():
    first, poc, _ = make_contract()
    second, other_poc, _ = make_contract()
    escalate_at(0, first, poc)
    escalate_at(0, second, other_poc)
    escalate_at(60 * 24 * 10, first, poc)
    assert clocks_between(at(-1), at(1)).count() == 2
    assert clocks_between(at(-1), at(1), clients=[first.client_id]).count() == 1


def test_outcome_and_percentile_helpers():
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert outcome("paused", None, None, now) == "open"
    assert outcome("running", now, now, now) == "missed"
    assert outcome("excluded", None, None, now) == "excluded"
    assert percentile([], 0.9) is None
    assert percentile([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 0.9) == 9
    with pytest.raises(ValueError, match="group by one of"):
        attainment(ResponseClock.objects.none(), by="colour")
