"""R16: a scheduler killed (SIGKILL) in the middle of firing SLA timers loses nothing and repeats
nothing. Its batch in flight rolls back with the process; a second scheduler takes over once the
lease lapses and fires what is left; every warning and breach fires exactly once, with exactly one
of each of its effects (clock event, internal ticket event, webhook delivery, e-mail task).

Real processes on the test database (``transaction=True``: the schedulers must see committed rows),
on SQLite and on PostgreSQL alike."""

from __future__ import annotations

import collections
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comanaged.core.models import SchedulerLease
from comanaged.tenancy.tests.factories import UserFactory, make_staff
from comanaged.tickets.clock.models import ClockEvent, ClockTimer
from comanaged.tickets.clock.timers import BATCH
from comanaged.tickets.models import TicketEvent
from comanaged.tickets.services import ticket_escalate
from comanaged.tickets.tests.helpers import complete_ticket, make_contract
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint

TICKETS = 120  # 240 timers, more than a batch (200): the kill lands in a batch after a committed one
LEASE_SECONDS = 1  # the successor takes over a second after the last renewal


def _database_url() -> str:
    """The URL of the database this test runs on (the test database, per xdist worker)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{auth}@{host}/{db['NAME']}"


def _scheduler(var_dir: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "COMANAGED_MODE": "test",
        "DATABASE_URL": _database_url(),
        "COMANAGED_VAR_DIR": str(var_dir),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "comanaged.cli", "scheduler", "--tick", "0.2", "--skip-checks"]
    command += ["--lease-seconds", str(LEASE_SECONDS)]
    with log.open("ab") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


def _fired() -> int:
    return ClockTimer.objects.filter(fired_at__isnull=False).count()


def _wait(condition, timeout: float, what: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            pytest.fail(f"the scheduler exited ({process.returncode}) before {what}:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; {_fired()} timers fired:\n{log.read_text()[-3000:]}")
        time.sleep(0.02)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.mark.django_db(transaction=True)
def test_r16_a_scheduler_killed_mid_sweep_leaves_every_warning_and_breach_fired_exactly_once(tmp_path):
    agreement, poc, _ = make_contract()
    make_staff("dispatcher", mfa=False)  # so every timer queues one e-mail task
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/sla", events=["ticket.sla_warning", "ticket.sla_breached"], secret="s" * 32
    )
    escalated_at = timezone.now() - dt.timedelta(hours=3)  # P1: warning at 45 min, breach at 60 min, both due
    logged_by, tickets = UserFactory(), []
    with transaction.atomic():  # one commit, not one per ticket
        for _ in range(TICKETS):
            ticket = complete_ticket(agreement, poc, actor=logged_by, priority="P1")
            tickets.append(ticket_escalate(ticket=ticket, actor=None, escalating_person=poc, at=escalated_at))
    total = ClockTimer.objects.filter(fired_at__isnull=True, fire_at__lte=timezone.now()).count()
    assert total == 2 * TICKETS > BATCH

    log = tmp_path / "scheduler.log"
    first = _scheduler(tmp_path, log)
    try:
        # Kill it as soon as a first batch has committed: the next one is in flight.
        _wait(lambda: _fired() > 0, 60, "the first batch", first, log)
        first.kill()
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    # Whatever it had claimed but not committed went with it; what it committed stays fired.
    assert 0 < _fired() <= total

    second = _scheduler(tmp_path, log)
    try:
        # It waits for the dead one's lease to lapse, takes it over and fires the rest.
        _wait(lambda: _fired() == total, 60, "every timer", second, log)
        holder = SchedulerLease.objects.get(name="scheduler").holder
        assert f":{second.pid}:" in holder
    finally:
        _stop(second)
    assert second.returncode == 0, log.read_text()[-3000:]

    clocks = {t.pk: t.clocks.get(is_current=True).pk for t in tickets}
    per_clock = collections.Counter(
        ClockEvent.objects.filter(kind__in=["warning", "breached"]).values_list("clock_id", "kind")
    )
    assert per_clock == {(clock, kind): 1 for clock in clocks.values() for kind in ("warning", "breached")}
    per_ticket = collections.Counter(
        TicketEvent.objects.filter(kind__in=["sla_warning", "sla_breached"]).values_list("ticket_id", "kind")
    )
    assert per_ticket == {(ticket, kind): 1 for ticket in clocks for kind in ("sla_warning", "sla_breached")}
    deliveries = collections.Counter(
        (d.endpoint_id, d.event, d.payload["ticket"]["id"])
        for d in WebhookDelivery.objects.filter(event__startswith="ticket.sla_")
    )
    assert set(deliveries) == {
        (endpoint.pk, event, ticket) for ticket in clocks for event in ("ticket.sla_warning", "ticket.sla_breached")
    }
    assert set(deliveries.values()) == {1}
    mails = collections.Counter(
        row.args_kwargs["kwargs"]["subject"]
        for row in DBTaskResult.objects.filter(queue_name="email")
        if "respond target" in row.args_kwargs["kwargs"]["subject"]
    )
    assert len(mails) == total and set(mails.values()) == {1}
    assert ClockTimer.objects.filter(fired_at__isnull=True).count() == 0


class _Looping(BaseException):
    """Not an ``Exception``: the sweep's per-timer ``except Exception`` must not swallow it."""


@pytest.mark.django_db
def test_r16_a_batch_of_failing_timers_neither_hangs_the_sweep_nor_holds_back_the_others(monkeypatch):
    from comanaged.tickets.clock import timers

    agreement, poc, _ = make_contract()
    now = timezone.now()
    bad = complete_ticket(agreement, poc, priority="P1")
    ticket_escalate(ticket=bad, actor=None, escalating_person=poc, at=now - dt.timedelta(hours=4))
    for _ in range(2):  # due after the bad ticket's two timers
        ticket = complete_ticket(agreement, poc, priority="P1")
        ticket_escalate(ticket=ticket, actor=None, escalating_person=poc, at=now - dt.timedelta(hours=2))
    bad_timers = set(ClockTimer.objects.filter(clock__ticket=bad).values_list("pk", flat=True))
    real_fire, attempts = timers._fire, collections.Counter[int]()

    def fire(timer_id: int, ticket_id: int, at: dt.datetime) -> int:
        attempts[timer_id] += 1
        if attempts[timer_id] > 20:
            raise _Looping(f"timer {timer_id} attempted {attempts[timer_id]} times in one sweep")
        if timer_id in bad_timers:
            raise ValueError("a ticket whose notification cannot be rendered")
        return real_fire(timer_id, ticket_id, at)

    monkeypatch.setattr(timers, "_fire", fire)
    assert timers.fire_due(batch=2) == 4  # the bad ticket's two stay pending, logged; the others fire
    assert set(ClockTimer.objects.filter(fired_at__isnull=True).values_list("pk", flat=True)) == bad_timers
