"""Background work: e-mail through the task queue, the worker, and its health."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client as HttpClient
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from comanaged.core.models import WorkerHeartbeat
from comanaged.core.tasks import queue_email


@pytest.mark.django_db(transaction=True)  # the worker commits and recycles connections, like in production
def test_email_is_queued_on_commit_and_sent_by_the_worker():
    queue_email(subject="Ticket escalated", body="P1 at Acme", to=["poc@acme.example"])  # autocommit: runs now
    assert mail.outbox == []  # queued, not sent in the request
    assert DBTaskResult.objects.ready().count() == 1
    call_command("worker", "--batch", "--interval", "0")
    assert [m.subject for m in mail.outbox] == ["Ticket escalated"]
    assert mail.outbox[0].to == ["poc@acme.example"]
    assert DBTaskResult.objects.ready().count() == 0
    assert not WorkerHeartbeat.objects.exists()  # a stopped worker takes its heartbeat with it


@pytest.mark.django_db
def test_nothing_is_sent_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queue_email(subject="x", body="y", to=["a@b.example"])
    assert len(callbacks) == 1  # only runs on commit
    assert DBTaskResult.objects.count() == 0


@pytest.mark.django_db
def test_health_reports_the_database_and_whether_a_worker_is_alive():
    http = HttpClient()
    body = http.get("/health").json()
    assert body["database"] == "ok" and body["worker"]["status"] == "down" and body["status"] == "degraded"
    now = timezone.now()
    WorkerHeartbeat.objects.create(worker_id="w1", hostname="h", pid=1, started_at=now, last_seen_at=now)
    body = http.get("/health").json()
    assert body["status"] == "ok" and body["worker"]["workers"] == 1
    WorkerHeartbeat.objects.filter(worker_id="w1").update(last_seen_at=now - dt.timedelta(minutes=5))
    assert http.get("/health").json()["worker"]["status"] == "down"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lease_holder(database, wait: float = 20.0) -> str | None:
    """The scheduler lease's holder in the embedded database, once one appears."""
    import sqlite3

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(database, timeout=5)) as connection:
            row = connection.execute("SELECT holder FROM core_schedulerlease").fetchone()
        if row:
            return str(row[0])
        time.sleep(0.5)
    return None


@pytest.mark.nodb
def test_serve_runs_web_and_worker_together_and_stops_both(tmp_path):
    """The embedded mode: one command, a web server, a worker and the scheduler; stopping it
    stops them all."""
    env = {**os.environ, "COMANAGED_MODE": "development", "COMANAGED_VAR_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    cli = [sys.executable, "-m", "comanaged.cli"]
    subprocess.run([*cli, "migrate", "-v0"], env=env, check=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline, body = time.monotonic() + 40, {}
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    body = json.loads(response.read())
                if body.get("worker", {}).get("status") == "ok":
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert body.get("status") == "ok", body
        assert _lease_holder(tmp_path / "comanaged.sqlite3"), "the scheduler never took its lease"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # The server led its own session: nothing of it (web workers, background worker) may survive.
    survivors = subprocess.run(["pgrep", "-s", str(server.pid)], capture_output=True, text=True).stdout.split()
    assert survivors == [], f"processes left running: {survivors}"
