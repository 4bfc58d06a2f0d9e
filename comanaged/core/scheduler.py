"""The periodic scheduler: one at a time across every host, by a lease in the database.

Apps register jobs (``register``) in their ``AppConfig.ready``; ``comanaged scheduler`` (also
started by ``serve``) renews the lease every tick and runs the jobs that are due only while it
holds it. When a scheduler dies its lease lapses after ``LEASE_SECONDS`` and another takes over.
Jobs must be idempotent: a scheduler that loses its lease mid-job may overlap one run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from comanaged.core.models import SchedulerLease

logger = logging.getLogger(__name__)
LEASE = "scheduler"
LEASE_SECONDS = 30
TICK_SECONDS = 5


@dataclass
class Job:
    name: str
    every: dt.timedelta
    run: Callable[[], object]
    next_run: dt.datetime | None = field(default=None)


_JOBS: dict[str, Job] = {}


def register(name: str, every_seconds: int, run: Callable[[], object]) -> None:
    """Run ``run`` every ``every_seconds`` under the scheduler lease (idempotent jobs only)."""
    _JOBS[name] = Job(name, dt.timedelta(seconds=every_seconds), run)


def registered() -> list[str]:
    return sorted(_JOBS)


def new_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(holder: str, *, now: dt.datetime | None = None, seconds: int = LEASE_SECONDS, name: str = LEASE) -> bool:
    """Take or renew the lease; True when ``holder`` holds it until now + ``seconds``."""
    now = now or timezone.now()
    until = now + dt.timedelta(seconds=seconds)
    taken = (
        SchedulerLease.objects.filter(name=name)
        .filter(Q(holder=holder) | Q(expires_at__lte=now))
        .update(holder=holder, expires_at=until)
    )
    if taken:
        return True
    try:
        with transaction.atomic():
            SchedulerLease.objects.create(name=name, holder=holder, expires_at=until)
    except IntegrityError:
        return False  # someone else holds it
    return True


def release(holder: str, *, name: str = LEASE) -> None:
    SchedulerLease.objects.filter(name=name, holder=holder).delete()


def run_due(now: dt.datetime | None = None) -> list[str]:
    """Run each job whose time has come (the caller holds the lease); returns their names."""
    now = now or timezone.now()
    ran = []
    for job in list(_JOBS.values()):
        if job.next_run is not None and job.next_run > now:
            continue
        job.next_run = now + job.every
        try:
            job.run()
        except Exception:  # one failing job must not stop the others
            logger.exception("scheduled job %s failed", job.name)
        ran.append(job.name)
    return ran


def loop(
    stop: threading.Event,
    *,
    holder: str | None = None,
    tick: float = TICK_SECONDS,
    lease_seconds: int = LEASE_SECONDS,
) -> None:
    """Hold (or wait for) the lease and run due jobs, until ``stop`` is set. The lease is renewed
    every tick, so ``lease_seconds`` must be well above ``tick`` (and above a job's longest run)."""
    holder = holder or new_holder()
    try:
        while not stop.is_set():
            close_old_connections()
            try:
                if acquire(holder, seconds=lease_seconds):
                    run_due()
            except Exception:
                logger.exception("scheduler tick failed")
            stop.wait(tick)
    finally:
        try:
            release(holder)
        except Exception:
            logger.exception("could not release the scheduler lease")
