"""The periodic scheduler: one holder of the lease at a time, takeover when it lapses, jobs run
once per interval while held."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from comanaged.core import scheduler
from comanaged.core.models import SchedulerLease

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


def test_only_one_scheduler_holds_the_lease_and_another_takes_over_when_it_lapses():
    assert scheduler.acquire("a", now=T0)
    assert not scheduler.acquire("b", now=T0 + dt.timedelta(seconds=10))
    assert scheduler.acquire("a", now=T0 + dt.timedelta(seconds=20))  # renewed until +50 s
    assert not scheduler.acquire("b", now=T0 + dt.timedelta(seconds=49))
    assert scheduler.acquire("b", now=T0 + dt.timedelta(seconds=50))  # a died: b takes over
    assert not scheduler.acquire("a", now=T0 + dt.timedelta(seconds=51))
    assert SchedulerLease.objects.get().holder == "b"


def test_release_lets_the_next_one_in_at_once():
    assert scheduler.acquire("a", now=T0)
    scheduler.release("a")
    assert scheduler.acquire("b", now=T0 + dt.timedelta(seconds=1))


def test_due_jobs_run_once_per_interval(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(scheduler, "_JOBS", {})
    scheduler.register("tick", 60, lambda: calls.append("tick"))
    scheduler.register("boom", 60, lambda: 1 / 0)  # a failing job does not stop the others
    assert scheduler.run_due(T0) == ["tick", "boom"]
    assert scheduler.run_due(T0 + dt.timedelta(seconds=30)) == []
    assert scheduler.run_due(T0 + dt.timedelta(seconds=60)) == ["tick", "boom"]
    assert calls == ["tick", "tick"]


def test_the_webhook_backstop_is_scheduled_and_the_command_runs_it_under_the_lease():
    assert "webhooks.retry_due" in scheduler.registered()
    for job in scheduler._JOBS.values():
        job.next_run = None  # as in a freshly started scheduler
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "webhooks.retry_due" in out.getvalue()
    assert not SchedulerLease.objects.exists()  # released after the run
    SchedulerLease.objects.create(
        name="scheduler", holder="elsewhere", expires_at=timezone.now() + dt.timedelta(minutes=1)
    )
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "Another scheduler holds the lease" in out.getvalue()
