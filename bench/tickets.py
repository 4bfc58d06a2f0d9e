"""Tickets at volume (issue 4): creating tickets through the REST API, and the technician queue.

1. Creation: a real gunicorn server and N client threads POST /api/v1/tickets with client POCs'
   bearer tokens, half of them escalating (R14 fields given); tickets/s and p50/p95/p99, then the
   Ticket, TicketEvent and AuditEntry rows are counted against what the requests must have written.
2. The desk queue at 100,000 tickets (1,000,000 with --million): tickets generated in bulk
   (executemany on SQLite, COPY on PostgreSQL — not through the services), then the queue as
   ``comanaged.console.desk`` runs it: ``visible_tickets(dispatcher)`` on the desk's statuses, due
   first, the first page of 50 and the paginator's COUNT, alone and with one filter; the page's
   stats aggregate; the whole desk page in-process; ``GET /api/v1/tickets?limit=50`` on the server.
3. ``--explain`` prints the plans (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).

SQLite (WAL, the embedded mode) in a throw-away directory by default; ``--db postgres`` creates a
scratch database on the server of ``--postgres-url`` and drops it at the end.

    .venv/bin/python bench/tickets.py                       # SQLite, 100k tickets
    .venv/bin/python bench/tickets.py --db postgres --million --explain
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import math
import os
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--postgres-url",
        default="postgres://postgres@127.0.0.1:5432/test",
        help="a database to connect to for creating and dropping the scratch database",
    )
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets generated in bulk (default 100,000)")
    parser.add_argument("--million", action="store_true", help="generate 1,000,000 tickets (takes a while)")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--technicians", type=int, default=40)
    parser.add_argument("--open-share", type=float, default=0.07, help="share of tickets open on the desk")
    parser.add_argument("--runs", type=int, default=200, help="timed runs per queue query")
    parser.add_argument("--create", type=int, default=3000, help="tickets POSTed in the timed creation run")
    parser.add_argument("--threads", type=int, default=4, help="concurrent API clients")
    parser.add_argument("--escalate-share", type=float, default=0.5)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--server-threads", type=int, default=1, help="threads per worker (>1: gthread workers)")
    parser.add_argument("--sqlite-analyze", action="store_true", help="full ANALYZE on SQLite")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--show-queries", action="store_true", help="print the SQL of one escalating POST")
    parser.add_argument("--skip-create", action="store_true", help="no API creation run")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and directory")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    if args.million:
        args.tickets = 1_000_000
    return args


ARGS = parse_args()
TMP = tempfile.mkdtemp(prefix="comanaged-bench-")
os.environ["COMANAGED_VAR_DIR"] = TMP  # never the developer's own var/
os.environ["COMANAGED_MODE"] = "development"
os.environ["DJANGO_SETTINGS_MODULE"] = "comanaged.settings"
os.environ["DEBUG"] = "0"
os.environ.setdefault("LOG_LEVEL", "WARNING")
SCRATCH_DB = ""
if ARGS.db == "postgres":
    import psycopg

    SCRATCH_DB = f"comanaged_bench_{os.getpid()}"
    with psycopg.connect(ARGS.postgres_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{SCRATCH_DB}"')
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(ARGS.postgres_url)._replace(path=f"/{SCRATCH_DB}"))
else:
    os.environ.pop("DATABASE_URL", None)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.core.paginator import Paginator  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Count, F, Q  # noqa: E402
from django.test import Client as HttpClient  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from comanaged.agreements.policy import RESPOND_TARGETS  # noqa: E402
from comanaged.agreements.services import agreement_activate  # noqa: E402
from comanaged.agreements.tests.factories import AgreementFactory  # noqa: E402
from comanaged.api.services import token_issue  # noqa: E402
from comanaged.core.models import AuditEntry  # noqa: E402
from comanaged.tenancy.models import Client, Person, StaffProfile, StaffRole, User, Vertical  # noqa: E402
from comanaged.tenancy.services import client_save  # noqa: E402
from comanaged.tenancy.tests.factories import make_staff  # noqa: E402
from comanaged.tickets.access import visible_tickets  # noqa: E402
from comanaged.tickets.models import DESK_OPEN, Ticket, TicketCategory, TicketEvent, TicketSequence  # noqa: E402

try:  # the desk page's own query (comanaged/console/desk.py), when it is there
    from comanaged.console.desk import PAGE_SIZE, SORTS, desk_queryset

    DUE_ORDER: tuple[Any, ...] = SORTS["due"]
    QUEUE_SOURCE = "comanaged.console.desk.desk_queryset + SORTS['due']"
except Exception:  # the page is being written; fall back to the issue's query
    PAGE_SIZE = 50
    DUE_ORDER = (F("respond_due_at").asc(nulls_last=True), "number")
    QUEUE_SOURCE = "fallback: visible_tickets + on_desk"

    def desk_queryset(user: Any) -> Any:
        return (
            visible_tickets(user)
            .filter(on_desk=True)
            .select_related("client", "assignee__user", "category", "desk_vertical")
        )


SQLITE = connection.vendor == "sqlite"
QUEUE_TARGET_MS = 25.0 if ARGS.tickets <= 100_000 else 50.0
CREATE_P95_TARGET_MS = 50.0
CREATE_RATE_TARGET = 300.0
VERTICALS = (("healthcare", "Healthcare"), ("legal", "Legal"), ("finance", "Finance"))
TITLES = (
    "Outlook crashes on start",
    "Cannot reach the file share",
    "VPN disconnects every hour",
    "Printer on 2nd floor offline",
    "New starter needs a laptop",
    "Password reset for the ERP",
    "Teams calls drop",
    "Slow Wi-Fi in the meeting room",
    "MFA prompt loops",
    "Shared mailbox missing",
    "Backup job failed overnight",
    "Server disk almost full",
    "Firewall blocks the banking site",
    "Phone has no dial tone",
    "Excel add-in will not load",
)


def say(text: str) -> None:
    print(text, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Latency:
    name: str
    values: list[float]
    target_ms: float | None = None
    note: str = ""

    @property
    def p95(self) -> float:
        return percentile(self.values, 0.95)

    def line(self) -> str:
        p50, p99 = statistics.median(self.values), percentile(self.values, 0.99)
        target = f"< {self.target_ms:g}" if self.target_ms else ""
        verdict = ("ok" if self.p95 < self.target_ms else "MISS") if self.target_ms else ""
        return (
            f"  {self.name:<46} {len(self.values):>5} {p50:>8.1f} {self.p95:>8.1f} {p99:>8.1f}"
            f"  {target:<6} {verdict:<4} {self.note}"
        )


@dataclass
class Report:
    latencies: list[Latency] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)

    def add(self, latency: Latency) -> Latency:
        self.latencies.append(latency)
        say(latency.line())
        return latency

    def note(self, text: str) -> None:
        self.lines.append(text)
        say(text)


REPORT = Report()


# --- fixed set-up: provider, staff, clients, people, contracts ----------------------------------


@dataclass
class Fixture:
    dispatcher: User
    technician_ids: list[int]
    client_ids: list[int]
    client_weights: list[float]
    client_vertical: dict[int, int]
    people: dict[int, list[int]]  # client id -> person ids
    category_ids: list[int]
    poc_tokens: list[str]
    dispatcher_token: str


def set_up() -> Fixture:
    from django.contrib.auth.hashers import make_password

    StaffRole.rows(["admin", "dispatcher", "technician", "billing", "strategic_advisor"])
    verticals = [Vertical.objects.create(slug=slug, name=name) for slug, name in VERTICALS]
    dispatcher_profile = make_staff("dispatcher", email="dispatcher@msp.test", full_name="Dana Dispatcher")
    dispatcher = dispatcher_profile.user

    User.objects.bulk_create(
        [
            User(
                email=f"tech{i:03d}@msp.test",
                full_name=f"Technician {i:03d}",
                is_staff=True,
                password=make_password(None),
            )
            for i in range(ARGS.technicians)
        ]
    )
    users = list(User.objects.filter(email__startswith="tech", email__endswith="@msp.test").order_by("email"))
    StaffProfile.objects.bulk_create([StaffProfile(user=u, tier=1 + i % 3) for i, u in enumerate(users)])
    profiles = list(StaffProfile.objects.filter(user__in=users).order_by("user__email"))
    StaffProfile.roles.through.objects.bulk_create(
        [StaffProfile.roles.through(staffprofile_id=p.pk, staffrole_id="technician") for p in profiles]
    )
    StaffProfile.verticals.through.objects.bulk_create(
        [
            StaffProfile.verticals.through(staffprofile_id=p.pk, vertical_id=verticals[i % 3].pk)
            for i, p in enumerate(profiles)
            if i % 4 == 0
        ]
    )

    clients = []
    for i in range(ARGS.clients):
        clients.append(client_save(client=Client(name=f"Client {i:03d}", code=f"client-{i:03d}"), actor=None))
        if (i + 1) % 50 == 0:
            say(f"  clients {i + 1}/{ARGS.clients}")
    client_vertical = {c.pk: verticals[(i // 7) % 3].pk for i, c in enumerate(clients) if i % 7 == 3}

    people_rows = []
    for c in clients:
        for j in range(25):
            level = "poc" if j < 2 else ("vip" if j == 2 else "end_user")
            people_rows.append(
                Person(client=c, full_name=f"{c.code} person {j}", email=f"p{j}@{c.code}.example", level=level)
            )
    Person.objects.bulk_create(people_rows, batch_size=2000)
    people: dict[int, list[int]] = {}
    for client_id, pk in Person.objects.order_by("pk").values_list("client_id", "pk"):
        people.setdefault(client_id, []).append(pk)

    # The API clients: an active agreement (one of them vertical), a POC who signs in, a write token.
    poc_tokens = []
    for i, c in enumerate(clients[: max(1, ARGS.threads)]):
        vertical = Vertical.objects.get(pk=client_vertical[c.pk]) if c.pk in client_vertical else None
        terms: dict[str, Any] = {"client": c}
        if vertical is not None:
            terms["vertical"] = vertical
            terms["strategic_advisor"] = make_staff("strategic_advisor", verticals=[vertical], mfa=False)
        with transaction.atomic():  # the reference is numbered under a row lock
            agreement = AgreementFactory(**terms)
        agreement_activate(agreement=agreement, actor=None)
        poc = Person.objects.get(pk=people[c.pk][0])
        poc.user = User.objects.create_user(f"poc{i}@{c.code}.example", None, full_name=poc.full_name)
        poc.save(update_fields=["user"])
        poc_tokens.append(token_issue(user=poc.user, name="bench", scope="write", expires_in_days=1)[1])
    dispatcher_token = token_issue(user=dispatcher, name="bench", scope="read", expires_in_days=1)[1]

    rng = random.Random(ARGS.seed)
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(clients))]  # a few big clients, a long tail
    rng.shuffle(weights)
    categories = list(TicketCategory.objects.filter(is_active=True, parent__isnull=False).values_list("pk", flat=True))
    return Fixture(
        dispatcher=dispatcher,
        technician_ids=[p.pk for p in profiles],
        client_ids=[c.pk for c in clients],
        client_weights=weights,
        client_vertical=client_vertical,
        people=people,
        category_ids=categories or list(TicketCategory.objects.values_list("pk", flat=True)),
        poc_tokens=poc_tokens,
        dispatcher_token=dispatcher_token,
    )


# --- bulk tickets ---------------------------------------------------------------------------------

OPEN_STATUSES = ("escalated", "assigned", "in_progress", "waiting_on_client", "waiting_on_vendor")
OPEN_WEIGHTS = (0.2, 0.2, 0.35, 0.15, 0.10)
TIERS, TIER_WEIGHTS = ("l1", "l2", "l3", "vendor"), (0.70, 0.20, 0.07, 0.03)
PRIORITIES, PRIORITY_WEIGHTS = ("P1", "P2", "P3", "P4"), (0.05, 0.15, 0.50, 0.30)
VERDICTS, VERDICT_WEIGHTS = ("covered", "covered_no_target", "billable", "out_of_scope"), (0.85, 0.05, 0.07, 0.03)
REASONS = json.dumps(
    [{"code": "poc_escalation", "message": "POC escalation is accepted at any hour, every day.", "rules": ["R10"]}]
)


def _db_time(value: dt.datetime | None) -> Any:
    """What the column takes: aware UTC for psycopg, Django's naive UTC text on SQLite."""
    if value is None or not SQLITE:
        return value
    return value.replace(tzinfo=None).isoformat(" ")


def ticket_batches(fx: Fixture, total: int, now: dt.datetime, batch: int) -> Iterator[tuple[list[str], list[tuple]]]:
    """Rows of the ticket table, ``batch`` at a time: numbers in creation order over two years; the
    open ones mostly recent (a long tail of old waiting tickets), the rest resolved or closed."""
    rng = random.Random(ARGS.seed)
    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key and not f.generated]
    columns = [f.column for f in fields]
    template = []
    for f in fields:
        value = f.get_default()
        if f.get_internal_type() == "JSONField":
            value = json.dumps(value)
        template.append(value)
    at = {name: columns.index(Ticket._meta.get_field(name).column) for name in (
        "client", "number", "title", "type", "category", "priority", "impact", "urgency", "description", "tried",
        "error_messages", "conditions", "requester", "affected_person", "source", "status", "tier", "assignee",
        "escalated_at", "work_started_at", "respond_due_at", "resolved_at", "closed_at", "resolution",
        "desk_vertical", "verdict", "verdict_reasons", "created_at", "updated_at",
    )}  # fmt: skip
    span = dt.timedelta(days=730).total_seconds()
    recent = 0.08  # the last 8% of tickets (about two months)
    p_open_recent = min(0.9, ARGS.open_share * 0.85 / recent)
    p_open_old = ARGS.open_share * 0.15 / (1 - recent)
    clients, cum = fx.client_ids, []
    acc = 0.0
    for w in fx.client_weights:
        acc += w
        cum.append(acc)
    rows: list[tuple] = []
    for i in range(total):
        age = 1 - (i + 1) / total  # 0 = newest
        created = now - dt.timedelta(seconds=age * span + rng.random() * 60)
        client = rng.choices(clients, cum_weights=cum)[0]
        people = fx.people[client]
        requester = people[rng.randrange(len(people))]
        priority = rng.choices(PRIORITIES, PRIORITY_WEIGHTS)[0]
        is_recent = age < recent
        if rng.random() < (p_open_recent if is_recent else p_open_old):
            status = rng.choices(OPEN_STATUSES, OPEN_WEIGHTS)[0]
            escalated = True
        else:
            r = rng.random()
            if is_recent:
                status = "new" if r < 0.15 else ("resolved" if r < 0.6 else "closed")
            else:
                status = "resolved" if r < 0.05 else "closed"
            escalated = status != "new" and rng.random() < 0.4
        row = template.copy()
        row[at["client"]] = client
        row[at["number"]] = i + 1
        row[at["title"]] = f"{TITLES[i % len(TITLES)]} ({i + 1})"
        row[at["type"]] = "incident" if rng.random() < 0.7 else "service_request"
        row[at["category"]] = fx.category_ids[rng.randrange(len(fx.category_ids))]
        row[at["priority"]] = priority
        row[at["description"]] = "The application closes a few seconds after it opens, for every user of the site."
        row[at["requester"]] = requester
        row[at["affected_person"]] = requester
        row[at["source"]] = "portal" if rng.random() < 0.6 else "email"
        row[at["status"]] = status
        row[at["created_at"]] = _db_time(created)
        updated = created
        if escalated:
            escalated_at = created + dt.timedelta(minutes=rng.randrange(5, 240))
            verdict = rng.choices(VERDICTS, VERDICT_WEIGHTS)[0]
            due = escalated_at + RESPOND_TARGETS[priority] if verdict == "covered" else None
            row[at["tried"]] = "Restarted it, repaired the install, tried another profile."
            row[at["error_messages"]] = "0x800ccc0e"
            row[at["conditions"]] = "Every morning after sign-in."
            row[at["tier"]] = rng.choices(TIERS, TIER_WEIGHTS)[0]
            row[at["escalated_at"]] = _db_time(escalated_at)
            row[at["respond_due_at"]] = _db_time(due)
            row[at["verdict"]] = verdict
            row[at["verdict_reasons"]] = REASONS
            row[at["desk_vertical"]] = fx.client_vertical.get(client)
            updated = escalated_at
            if status != "escalated":
                row[at["assignee"]] = fx.technician_ids[rng.randrange(len(fx.technician_ids))]
            if status not in ("escalated", "assigned"):
                started = escalated_at + dt.timedelta(minutes=rng.randrange(1, 600))
                row[at["work_started_at"]] = _db_time(started)
                updated = started
        if status in ("resolved", "closed"):
            resolved = updated + dt.timedelta(hours=rng.randrange(1, 72))
            row[at["resolved_at"]] = _db_time(resolved)
            row[at["resolution"]] = "Repaired the profile; the user confirmed."
            updated = resolved
            if status == "closed":
                updated = resolved + dt.timedelta(days=3)
                row[at["closed_at"]] = _db_time(updated)
        row[at["updated_at"]] = _db_time(min(updated, now))
        rows.append(tuple(row))
        if len(rows) == batch:
            yield columns, rows
            rows = []
    if rows:
        yield columns, rows


def generate(fx: Fixture) -> float:
    now = timezone.now()
    table = connection.ops.quote_name(Ticket._meta.db_table)
    batch = 10_000
    done, started, next_report = 0, time.perf_counter(), max(ARGS.tickets // 10, batch)
    for columns, rows in ticket_batches(fx, ARGS.tickets, now, batch):
        names = ", ".join(connection.ops.quote_name(c) for c in columns)
        with transaction.atomic(), connection.cursor() as cursor:
            if SQLITE:
                placeholders = ", ".join(["%s"] * len(columns))  # names come from the model, quoted
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608
            else:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
        done += len(rows)
        if done >= next_report or done == ARGS.tickets:
            elapsed = time.perf_counter() - started
            say(f"  tickets {done:>9,}/{ARGS.tickets:,}  {done / elapsed:,.0f} rows/s  peak RSS {rss_mb():,.0f} MB")
            next_report += max(ARGS.tickets // 10, batch)
    TicketSequence.objects.update_or_create(pk=1, defaults={"last": ARGS.tickets})
    elapsed = time.perf_counter() - started
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        if not SQLITE:
            cursor.execute("VACUUM (ANALYZE)")  # what autovacuum does shortly after a load this size
        elif ARGS.sqlite_analyze:
            cursor.execute("ANALYZE")
        else:  # what the app's next connection does when it opens (settings: init_command)
            cursor.execute("PRAGMA analysis_limit=400")
            cursor.execute("PRAGMA optimize=0x10002")
    say(f"  {'VACUUM ANALYZE' if not SQLITE else 'statistics'}: {time.perf_counter() - t0:.1f} s")
    return elapsed


# --- the queue ------------------------------------------------------------------------------------


def queue_filters(fx: Fixture) -> list[tuple[str, Q | None]]:
    open_tickets = Ticket.objects.filter(status__in=DESK_OPEN)
    biggest = open_tickets.values("client_id").order_by().annotate(n=Count("pk")).order_by("-n").first()
    vertical = next(iter(sorted(set(fx.client_vertical.values()))))
    technician = fx.technician_ids[len(fx.technician_ids) // 2]
    return [
        ("no filter", None),
        ("client = largest", Q(client_id=biggest["client_id"]) if biggest else Q(client_id=fx.client_ids[0])),
        ("priority = P1", Q(priority="P1")),
        ("assignee = unassigned", Q(assignee__isnull=True)),
        ("assignee = one technician", Q(assignee_id=technician)),
        ("vertical = healthcare", Q(desk_vertical_id=vertical)),
    ]


def queue_once(user: User, condition: Q | None) -> tuple[int, int]:
    """The desk page's two queue queries: the paginator's COUNT, then the first page."""
    queryset = desk_queryset(user)
    if condition is not None:
        queryset = queryset.filter(condition)
    page = Paginator(queryset.order_by(*DUE_ORDER), PAGE_SIZE).get_page(1)
    rows = list(page.object_list)
    return page.paginator.count, len(rows)


def stats_once(user: User) -> dict[str, int]:
    """The counters above the queue, as console.desk computes them."""
    from comanaged.console.desk import desk_stats

    return desk_stats(user, timezone.now())


def timed_runs(
    run: Callable[[Any], Any], runs: int, warm: int = 5, prepare: Callable[[], Any] = lambda: None
) -> list[float]:
    """Milliseconds of ``run(prepare())`` (``prepare`` is not timed), after ``warm`` untimed runs."""
    for _ in range(warm):
        run(prepare())
    values = []
    for _ in range(runs):
        prepared = prepare()
        t0 = time.perf_counter()
        run(prepared)
        values.append((time.perf_counter() - t0) * 1000)
    return values


def fresh(user_pk: int) -> User:
    """The user as a request sees it: scope and roles not yet cached."""
    return User.objects.get(pk=user_pk)


def measure_queue(fx: Fixture) -> list[tuple[str, Q | None]]:
    filters = queue_filters(fx)
    say(f"\nqueue (first page of {PAGE_SIZE} + COUNT, {ARGS.runs} runs each; {QUEUE_SOURCE})")
    say(f"  {'':<46} {'runs':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target")
    pk = fx.dispatcher.pk
    for name, condition in filters:
        count, _ = queue_once(fresh(pk), condition)
        with CaptureQueriesContext(connection) as captured:
            queue_once(fresh(pk), condition)
        values = timed_runs(lambda user, c=condition: queue_once(user, c), ARGS.runs, prepare=lambda: fresh(pk))
        REPORT.add(Latency(f"queue: {name}", values, QUEUE_TARGET_MS, f"{count:,} rows, {len(captured) - 1} queries"))

    def narrow(user: User) -> tuple[int, int]:  # the issue's select_related: 6 tables instead of 8
        queryset = visible_tickets(user).filter(on_desk=True)
        queryset = queryset.select_related("client", "assignee__user", "category", "desk_vertical")
        page = Paginator(queryset.order_by(*DUE_ORDER), PAGE_SIZE).get_page(1)
        return len(list(page.object_list)), page.paginator.count

    values = timed_runs(narrow, ARGS.runs, prepare=lambda: fresh(pk))
    REPORT.add(
        Latency(
            "queue: no filter, 6-table select_related",
            values,
            QUEUE_TARGET_MS,
            "client, assignee__user, category, desk_vertical",
        )
    )
    stats = stats_once(fresh(pk))
    values = timed_runs(stats_once, ARGS.runs, prepare=lambda: fresh(pk))
    REPORT.add(Latency("queue stats aggregate (4 counts)", values, QUEUE_TARGET_MS, f"{stats}"))
    try:
        page_timings(fx)
    except Exception as error:  # the console is being edited; the queue figures stand
        REPORT.note(f"  desk page not timed: {type(error).__name__}: {error}")
    return filters


def page_timings(fx: Fixture) -> None:
    """The whole desk page in-process (view, filters, stats, template), signed in as the dispatcher."""
    browser = HttpClient()
    browser.force_login(fx.dispatcher)
    for name, query in (("", "no filter"), ("?priority=P1", "priority = P1")):
        response = browser.get(f"/console/desk/{name}")
        if response.status_code != 200:
            REPORT.note(f"  desk page {query}: HTTP {response.status_code}, not timed")
            continue
        with CaptureQueriesContext(connection) as captured:
            browser.get(f"/console/desk/{name}")
        queries = len(captured)  # now: every request clears the connection's query log
        values = timed_runs(lambda _, n=name: browser.get(f"/console/desk/{n}"), max(ARGS.runs // 4, 20), warm=2)
        REPORT.add(Latency(f"desk page GET /console/desk/ ({query})", values, None, f"{queries} queries"))


PLAN_KEEP = ("Limit", "Sort", "Incremental Sort", "Aggregate", "Presorted", "Filter", "Index Cond", "Recheck",
             "Rows Removed", "Heap", "Planning Time", "Execution Time")  # fmt: skip


def explain(fx: Fixture, filters: list[tuple[str, Q | None]]) -> None:
    """The plans of the queries as Django sends them (placeholders and parameters, not literals:
    SQLite plans a bound ``status IN (?, …)`` differently from the same values written out).
    PostgreSQL plans are EXPLAIN ANALYZE; past the first page plan, the joined lookups are left out."""
    pk = fx.dispatcher.pk
    table = Ticket._meta.db_table

    def sent(run: Callable[[], Any]) -> list[tuple[str, Any]]:
        queries: list[tuple[str, Any]] = []

        def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            if f'FROM "{table}"' in sql:
                queries.append((sql, params))
            return execute(sql, params, many, context)

        with connection.execute_wrapper(keep):
            run()
        return queries

    plans: list[tuple[str, str, Any]] = []
    for name, condition in filters:
        count, page = sent(lambda c=condition: queue_once(fresh(pk), c))
        plans += [(f"queue COUNT, {name}", *count), (f"queue first page, {name}", *page)]
    plans.append(("queue stats aggregate", *sent(lambda: stats_once(fresh(pk)))[0]))
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {fx.dispatcher_token}")
    plans.append(("API GET /api/v1/tickets?limit=50", *sent(lambda: api.get("/api/v1/tickets?limit=50"))[0]))
    prefix = "EXPLAIN QUERY PLAN " if SQLITE else "EXPLAIN (ANALYZE, BUFFERS) "
    say(f"\nquery plans ({'EXPLAIN QUERY PLAN' if SQLITE else 'EXPLAIN (ANALYZE, BUFFERS)'})")
    for number, (label, sql, params) in enumerate(plans):
        say(f"\n--- {label}\n{_short(sql)}\n    params: {[str(p) for p in params or ()]}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            lines = [str(row[-1]) if SQLITE else str(row[0]) for row in cursor.fetchall()]
        if not SQLITE and number > 1 and " JOIN " in sql:
            lines = [line for line in lines if table in line or line.strip().lstrip("-> ").startswith(PLAN_KEEP)]
        for line in lines:
            say("    " + line)


def _short(sql: str) -> str:
    """The SQL without its long column list."""
    head, sep, tail = sql.partition(" FROM ")
    return (head[:60] + " … FROM " + tail) if sep and len(head) > 80 else sql


# --- the server -----------------------------------------------------------------------------------


class Server:
    def __init__(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.log = open(os.path.join(TMP, "gunicorn.log"), "wb")  # noqa: SIM115 - closed in stop()
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(ARGS.workers),
            "--threads",
            str(ARGS.server_threads),
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "comanaged.wsgi:application",
        ]
        self.process = subprocess.Popen(command, cwd=ROOT, env=dict(os.environ), stdout=self.log, stderr=self.log)  # noqa: S603
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(self.port, "GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not start; see {self.log.name}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def request(port: int, method: str, path: str, token: str = "", body: bytes | None = None) -> tuple[int, bytes, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Host": "127.0.0.1"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    t0 = time.perf_counter()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        payload = response.read()
    finally:
        conn.close()
    return response.status, payload, (time.perf_counter() - t0) * 1000


def warm_workers(server: Server, fx: Fixture) -> None:
    """Every worker's first request imports the URLconf and the API (~0.3 s): keep it out of the figures."""

    def hit() -> None:
        for _ in range(3):
            request(server.port, "GET", "/api/v1/tickets?limit=1", fx.dispatcher_token)

    threads = [threading.Thread(target=hit) for _ in range(ARGS.workers * ARGS.server_threads * 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def api_list(server: Server, fx: Fixture) -> None:
    say(f"\nAPI lists on gunicorn ({ARGS.workers} workers), dispatcher token, one client at a time")
    warm_workers(server, fx)
    for path in ("/api/v1/tickets?limit=50", "/api/v1/tickets?status=escalated&limit=50"):
        values = []
        for i in range(ARGS.runs + 5):
            status, body, elapsed = request(server.port, "GET", path, fx.dispatcher_token)
            if status != 200:
                raise SystemExit(f"GET {path}: HTTP {status} {body[:300]!r}")
            if i >= 5:
                values.append(elapsed)
        REPORT.add(Latency(f"GET {path.removeprefix('/api/v1')}", values, QUEUE_TARGET_MS, "HTTP, end to end"))


def ticket_body(rng: random.Random, fx: Fixture, escalate: bool) -> bytes:
    return json.dumps(
        {
            "title": rng.choice(TITLES),
            "category_id": rng.choice(fx.category_ids),
            "priority": rng.choice(PRIORITIES),
            "description": "Outlook closes a few seconds after it opens, for every user of the site.",
            "tried": "Safe mode, repaired the Office install, a new profile.",
            "error_messages": "0x800ccc0e",
            "conditions": "Every morning after sign-in.",
            "escalate": escalate,
        }
    ).encode()


def row_counts() -> dict[str, int]:
    return {
        "Ticket": Ticket.objects.count(),
        "TicketEvent": TicketEvent.objects.count(),
        "AuditEntry": AuditEntry.objects.count(),
        "task (e-mail)": DBTaskResult.objects.count(),
    }


def post_many(server: Server, fx: Fixture, per_thread: int, seed: int) -> tuple[list[float], int, list[str], float]:
    latencies: list[list[float]] = [[] for _ in range(ARGS.threads)]
    escalated = [0] * ARGS.threads
    errors: list[str] = []
    start = threading.Barrier(ARGS.threads + 1)

    def client(index: int) -> None:
        rng = random.Random(seed * 1000 + index)
        token = fx.poc_tokens[index % len(fx.poc_tokens)]
        start.wait()
        for _ in range(per_thread):
            escalate = rng.random() < ARGS.escalate_share
            status, body, elapsed = request(
                server.port, "POST", "/api/v1/tickets", token, ticket_body(rng, fx, escalate)
            )
            if status != 201:
                errors.append(f"HTTP {status}: {body[:300]!r}")
                continue
            if escalate and json.loads(body)["status"] == "escalated":
                escalated[index] += 1
            latencies[index].append(elapsed)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(ARGS.threads)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return [v for values in latencies for v in values], sum(escalated), errors, wall


def measure_create(server: Server, fx: Fixture) -> None:
    say(f"\ncreation: POST /api/v1/tickets, {ARGS.threads} client threads, {ARGS.escalate_share:.0%} escalated")
    api = HttpClient(HTTP_AUTHORIZATION=f"Bearer {fx.poc_tokens[0]}")
    rng = random.Random(ARGS.seed)
    for escalate in (False, True):  # queries one request costs, in-process
        api.post("/api/v1/tickets", ticket_body(rng, fx, escalate), content_type="application/json")
        with CaptureQueriesContext(connection) as captured:
            response = api.post("/api/v1/tickets", ticket_body(rng, fx, escalate), content_type="application/json")
        assert response.status_code == 201, response.content[:300]
        REPORT.note(f"  queries per POST (escalate={str(escalate).lower()}): {len(captured)}")
        if escalate and ARGS.show_queries:
            for number, query in enumerate(captured.captured_queries, 1):
                say(f"    {number:>2}. {_short(query['sql'])[:220]}")
    # The floor: one request at a time, in-process (no HTTP, no concurrency, no lock waits).
    values = timed_runs(
        lambda escalate: api.post("/api/v1/tickets", ticket_body(rng, fx, escalate), content_type="application/json"),
        max(ARGS.runs // 2, 50),
        prepare=lambda: rng.random() < ARGS.escalate_share,
    )
    REPORT.add(Latency("POST /tickets in-process, one at a time", values, None, "no HTTP, no concurrency"))
    post_many(server, fx, 10, seed=1)  # warm every worker
    before = row_counts()
    per_thread = max(1, ARGS.create // ARGS.threads)
    latencies, escalated, errors, wall = post_many(server, fx, per_thread, seed=2)
    after = row_counts()
    created = len(latencies)
    rate = created / wall
    REPORT.add(
        Latency(
            f"POST /tickets ({ARGS.threads} threads, {ARGS.workers} workers)",
            latencies,
            CREATE_P95_TARGET_MS,
            f"{created:,} created, {escalated:,} escalated",
        )
    )
    REPORT.note(
        f"  throughput: {rate:,.0f} tickets/s over {wall:.1f} s (target >= {CREATE_RATE_TARGET:.0f}: "
        f"{'ok' if rate >= CREATE_RATE_TARGET else 'MISS'})"
    )
    if errors:
        REPORT.note(f"  {len(errors)} requests failed, e.g. {errors[0]}")
    expected = {"Ticket": created, "TicketEvent": created + escalated, "AuditEntry": created + escalated}
    for name, count in after.items():
        grew = count - before[name]
        want = expected.get(name)
        check = "" if want is None else ("ok" if grew == want else f"MISMATCH, expected +{want:,}")
        REPORT.note(f"  rows {name:<14} {before[name]:>10,} -> {count:>10,}  (+{grew:,}) {check}")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


LOAD_AT_START = ", ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    t_all = time.perf_counter()
    say(f"database: {connection.vendor} ({SCRATCH_DB or TMP}); {ARGS.tickets:,} tickets, {ARGS.clients} clients")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    fx = set_up()
    say(f"set-up (clients, people, staff, contracts, tokens): {time.perf_counter() - t0:.1f} s")
    say(f"generating {ARGS.tickets:,} tickets ({'COPY' if not SQLITE else 'executemany'}, batches of 10,000)")
    elapsed = generate(fx)
    on_desk = Ticket.objects.filter(status__in=DESK_OPEN).count()
    REPORT.note(
        f"generated {ARGS.tickets:,} tickets in {elapsed:.1f} s ({ARGS.tickets / elapsed:,.0f}/s); "
        f"{on_desk:,} on the desk ({on_desk / ARGS.tickets:.1%})"
    )
    filters = measure_queue(fx)
    if ARGS.explain:
        explain(fx, filters)
    server = Server()
    try:
        api_list(server, fx)
        if not ARGS.skip_create:
            measure_create(server, fx)
    finally:
        server.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    REPORT.note(f"peak RSS: bench {rss_mb():,.0f} MB, largest server process {children:,.0f} MB")
    print_figures(f"{ARGS.tickets:,} tickets ({on_desk:,} on the desk)", t_all)


def print_figures(title: str, started: float) -> None:
    """The report's table, with the machine's load so a busy run can be told from a slow one."""
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    say(f"\n=== figures: {connection.vendor}, {title}")
    say(f"    {os.cpu_count()} cores, load average {LOAD_AT_START} at the start, {load} at the end")
    say(f"  {'':<46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target")
    for latency in REPORT.latencies:
        say(latency.line())
    for line in REPORT.lines:
        say(line)
    say(f"total run: {time.perf_counter() - started:.0f} s")


def clean_up() -> None:
    connections.close_all()
    if ARGS.keep:
        say(f"kept: {SCRATCH_DB or TMP}")
        return
    if SCRATCH_DB:
        with psycopg.connect(ARGS.postgres_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DB}" WITH (FORCE)')
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        clean_up()
