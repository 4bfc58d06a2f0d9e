"""R16: two sweeps firing the same due timers at the same time (two schedulers overlapping, e.g.
one that lost its lease mid-job) fire each timer exactly once, without a deadlock or an error.

On PostgreSQL the pending rows are claimed ``FOR UPDATE SKIP LOCKED``: the sweeps share the work,
so both must fire some. On SQLite the single writer serialises them (``BEGIN IMMEDIATE`` waits on
``busy_timeout``): the same totals must hold, but which sweep does the work is the lock's choice —
so this runs on both databases (a skip would fail CI under ``COMANAGED_REQUIRE_ALL``) and asserts
the sharing on PostgreSQL only."""

from __future__ import annotations

import collections
import datetime as dt
import logging
import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from comanaged.tenancy.tests.factories import UserFactory, make_staff
from comanaged.tickets.clock.models import ClockEvent, ClockTimer
from comanaged.tickets.clock.timers import fire_due
from comanaged.tickets.models import TicketEvent
from comanaged.tickets.services import ticket_escalate
from comanaged.tickets.tests.helpers import complete_ticket, make_contract

TICKETS = 60
BATCH = 10  # small batches: the sweeps alternate many times
PRIORITIES = ("P1", "P2")  # different targets interleave one ticket's warning with another's breach


def _escalated_due_tickets() -> list[int]:
    """``TICKETS`` tickets escalated over the last few hours, P1 and P2 mixed: every warning and
    breach is due, and in due order warnings and breaches of different tickets interleave."""
    agreement, poc, _ = make_contract()
    make_staff("dispatcher", mfa=False)
    start = timezone.now() - dt.timedelta(hours=4)
    logged_by, ids = UserFactory(), []
    with transaction.atomic():
        for i in range(TICKETS):
            ticket = complete_ticket(agreement, poc, actor=logged_by, priority=PRIORITIES[i % 2])
            at = start + dt.timedelta(seconds=37 * i)
            ids.append(ticket_escalate(ticket=ticket, actor=None, escalating_person=poc, at=at).pk)
    return ids


@pytest.mark.django_db(transaction=True)  # each sweep commits on its own connection
def test_r16_two_concurrent_sweeps_fire_every_timer_exactly_once(caplog):
    tickets = _escalated_due_tickets()
    total = ClockTimer.objects.filter(fired_at__isnull=True, fire_at__lte=timezone.now()).count()
    assert total == 2 * TICKETS
    start = threading.Barrier(2)
    fired: dict[str, int] = {}
    errors: list[BaseException] = []

    def sweep(name: str) -> None:
        try:
            start.wait()
            fired[name] = fire_due(batch=BATCH)
        except BaseException as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connections.close_all()

    caplog.set_level(logging.ERROR)
    threads = [threading.Thread(target=sweep, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a sweep hung"
    assert errors == []
    # A timer whose firing failed (a deadlock victim, say) is logged and left pending.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []

    assert fired["a"] + fired["b"] == total
    assert ClockTimer.objects.filter(fired_at__isnull=True).count() == 0
    if connection.vendor == "postgresql":  # SKIP LOCKED: neither waited for the other's batch
        assert fired["a"] > 0 and fired["b"] > 0, fired
    per_clock = collections.Counter(
        ClockEvent.objects.filter(kind__in=["warning", "breached"]).values_list("clock__ticket_id", "kind")
    )
    assert per_clock == {(t, kind): 1 for t in tickets for kind in ("warning", "breached")}
    per_ticket = collections.Counter(
        TicketEvent.objects.filter(kind__in=["sla_warning", "sla_breached"]).values_list("ticket_id", "kind")
    )
    assert per_ticket == {(t, kind): 1 for t in tickets for kind in ("sla_warning", "sla_breached")}
