"""Response-time engine (issue 5): deadlines per second, the breach sweep and the "due soon" question.

1. Deadlines per second (R16): ``add_business_seconds`` on a business-hours calendar with public
   holidays, from random escalation instants over two years, on one core (no database).
2. The breach sweep over 1,000,000 open tickets (target p95 < 100 ms): every ticket on the desk
   with a running clock and two pending timers (warning, breach) spread over the next three weeks,
   a handful (``--due``) of them due now. Timed: the claim exactly as ``fire_due`` sends it (captured,
   then replayed: the SELECT of due pending timers, ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, in
   its transaction), the whole ``fire_due`` when nothing is due (the steady state every 15 s), and
   the whole ``fire_due`` firing the due timers with every effect (reported apart; the rows it
   wrote are removed between runs, untimed).
3. "Which open tickets must be answered in the next 15 minutes" (target p95 < 5 ms): the desk's
   tickets by ``respond_due_at`` (partial index ``ticket_desk_due``), and the same question asked of
   the pending breach timers (partial index ``timer_pending_fire_at``).

The plans are printed once (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL) with a
check that the partial index is used. The database, the fixture (clients, people, staff) and the
figure lines are those of ``bench/tickets.py``, loaded as a module; the open tickets, their clocks
and timers are written in bulk (executemany on SQLite, COPY on PostgreSQL), ``on_desk`` computed by
the database. Every question is asked at one instant, ``NOW``, taken before the load, so timers do
not fall due while a million rows are written.

    .venv/bin/python bench/sla.py                          # deadlines, then 1,000,000 tickets on SQLite
    .venv/bin/python bench/sla.py --db postgres            # the sweep on a scratch PostgreSQL database
    .venv/bin/python bench/sla.py --tickets 20000 --runs 50  # a quick run
    .venv/bin/python bench/sla.py --deadlines-only [--count 200000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TARGETS = [3600, 7200, 14 * 3600, 24 * 3600]  # R16: P1–P4
SWEEP_TARGET_MS = 100.0
DUE_SOON_TARGET_MS = 5.0
SOON = dt.timedelta(minutes=15)
SPREAD = dt.timedelta(days=21)  # pending deadlines: over the next three weeks


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=200_000, help="deadlines computed per calendar")
    parser.add_argument("--deadlines-only", action="store_true", help="only the deadlines per second (no database)")
    parser.add_argument("--skip-deadlines", action="store_true", help="only the sweep and the due-soon question")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--tickets", type=int, default=1_000_000, help="open tickets, each with a running clock")
    parser.add_argument("--due", type=int, default=25, help="tickets whose warning and breach are both due now")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--runs", type=int, default=200, help="timed runs per query")
    parser.add_argument("--fire-runs", type=int, default=10, help="timed runs of fire_due firing the due timers")
    parser.add_argument("--sqlite-analyze", action="store_true", help="full ANALYZE on SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and directory")
    parser.add_argument("--seed", type=int, default=5)
    return parser.parse_args()


ARGS = parse_args()


def load_ticket_bench() -> ModuleType:
    """``bench/tickets.py`` as a module: it creates the scratch database (SQLite in a temporary
    directory, or ``comanaged_bench_<pid>`` on PostgreSQL), sets Django up, and brings the fixture
    and the figure helpers."""
    argv = ["tickets.py", "--db", ARGS.db, "--postgres-url", ARGS.postgres_url, "--tickets", str(ARGS.tickets)]
    argv += ["--clients", str(ARGS.clients), "--threads", "1", "--seed", str(ARGS.seed), "--runs", str(ARGS.runs)]
    argv += ["--keep"] * ARGS.keep + ["--sqlite-analyze"] * ARGS.sqlite_analyze
    saved, sys.argv = sys.argv, argv
    try:
        spec = importlib.util.spec_from_file_location("bench_tickets", os.path.join(ROOT, "bench", "tickets.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_tickets"] = module  # its dataclasses look themselves up there
        spec.loader.exec_module(module)
    finally:
        sys.argv = saved
    return module


if ARGS.deadlines_only:
    BASE: Any = None
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comanaged.settings")
    os.environ.setdefault("COMANAGED_MODE", "test")
    import django

    django.setup()
else:
    BASE = load_ticket_bench()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.db.models import Max  # noqa: E402
from django.utils import timezone  # noqa: E402

from comanaged.sla.intervals import _TABLES, add_business_seconds  # noqa: E402
from comanaged.tenancy.calendar import BusinessCalendar  # noqa: E402


def say(text: str) -> None:
    print(text, flush=True)


# --- 1. deadlines per second ----------------------------------------------------------------------


def deadlines() -> None:
    rng = random.Random(42)
    base = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    starts = [base + dt.timedelta(seconds=rng.randrange(0, 2 * 365 * 86400)) for _ in range(ARGS.count)]
    targets = [rng.choice(TARGETS) for _ in range(ARGS.count)]
    for zone, country in (("America/New_York", "US"), ("Australia/Lord_Howe", "AU"), ("Asia/Kathmandu", "NP")):
        calendar = BusinessCalendar(time_zone=zone, holiday_country=country)
        _TABLES.clear()
        t0 = time.perf_counter()
        add_business_seconds(calendar, base, 3600)  # builds the table around 2026
        add_business_seconds(calendar, base.replace(year=2027), 3600)
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        for start, seconds in zip(starts, targets, strict=True):
            add_business_seconds(calendar, start, seconds)
        elapsed = time.perf_counter() - t0
        rate = ARGS.count / elapsed
        verdict = "ok" if rate >= 200_000 else "MISS"
        say(
            f"{zone:<22} {ARGS.count:,} deadlines in {elapsed:.2f} s: {rate:,.0f}/s per core "
            f"(target >= 200,000: {verdict}); tables built in {build * 1000:.0f} ms"
        )
    t0 = time.perf_counter()
    for start, seconds in zip(starts, targets, strict=True):
        add_business_seconds(None, start, seconds)
    say(f"24x7 clock: {ARGS.count / (time.perf_counter() - t0):,.0f}/s")


if BASE is None:
    if __name__ == "__main__":
        deadlines()
    sys.exit(0)

from django_tasks_db.models import DBTaskResult  # noqa: E402

from comanaged.agreements.policy import RESPOND_TARGETS  # noqa: E402
from comanaged.tickets.clock.models import ClockEvent, ClockTimer, ResponseClock  # noqa: E402
from comanaged.tickets.clock.timers import fire_due  # noqa: E402
from comanaged.tickets.models import Ticket, TicketEvent, TicketSequence  # noqa: E402
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402

SQLITE = connection.vendor == "sqlite"
Latency, REPORT, timed_runs, db_time = BASE.Latency, BASE.REPORT, BASE.timed_runs, BASE._db_time
NOW = timezone.now().replace(microsecond=0)  # the instant every question is asked at


# --- 2. bulk load: open tickets, running clocks, pending timers ------------------------------------


class Rows:
    """Rows of one model's table as tuples: the fields' defaults, then the values given."""

    def __init__(self, model: Any) -> None:
        fields = [f for f in model._meta.concrete_fields if not f.generated]  # on_desk: the database's
        self.table = model._meta.db_table
        self.columns = [f.column for f in fields]
        self.at = {f.name: i for i, f in enumerate(fields)}
        self.template: list[Any] = []
        for f in fields:
            value = f.get_default()
            if f.get_internal_type() == "JSONField":
                value = json.dumps(value)
            elif isinstance(value, dt.datetime):
                value = db_time(value)
            self.template.append(value)

    def row(self, **values: Any) -> tuple[Any, ...]:
        row = self.template.copy()
        for name, value in values.items():
            row[self.at[name]] = db_time(value) if isinstance(value, dt.datetime) else value
        return tuple(row)

    def insert(self, rows: list[tuple[Any, ...]]) -> None:
        """executemany on SQLite, COPY on PostgreSQL (as bench/tickets.py writes its tickets)."""
        table = connection.ops.quote_name(self.table)
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if SQLITE:
                placeholders = ", ".join(["%s"] * len(self.columns))  # names come from the model, quoted
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", rows)  # noqa: S608
            else:
                with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)


def _next_id(model: Any) -> int:
    return int(model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


@dataclass
class Loaded:
    due_timer_ids: list[int]
    due_clock_ids: list[int]
    seconds: float


def batches(fx: Any, batch: int) -> Iterator[tuple[list[tuple], list[tuple], list[tuple]]]:
    """Open tickets on the desk, ``batch`` at a time, each with a running clock and its warning and
    breach pending: deadlines spread over the next three weeks (business-hours clocks and pauses
    push them out), the warning at 75 % of the way; ``--due`` tickets overdue, both timers due."""
    rng = random.Random(ARGS.seed)
    tickets, clocks, timers = Rows(Ticket), Rows(ResponseClock), Rows(ClockTimer)
    ticket_id, clock_id, timer_id = _next_id(Ticket), _next_id(ResponseClock), _next_id(ClockTimer)
    number = (TicketSequence.objects.filter(pk=1).values_list("last", flat=True).first() or 0) + 1
    due_now = set(rng.sample(range(ARGS.tickets), min(ARGS.due, ARGS.tickets)))
    statuses = ("escalated", "assigned", "in_progress", "waiting_on_client", "waiting_on_vendor")
    status_weights = (0.3, 0.3, 0.2, 0.1, 0.1)
    cum, acc = [], 0.0
    for w in fx.client_weights:
        acc += w
        cum.append(acc)
    spread = SPREAD.total_seconds()
    t_rows: list[tuple] = []
    c_rows: list[tuple] = []
    r_rows: list[tuple] = []
    for i in range(ARGS.tickets):
        client = rng.choices(fx.client_ids, cum_weights=cum)[0]
        people = fx.people[client]
        requester = people[rng.randrange(len(people))]
        priority = rng.choices(BASE.PRIORITIES, BASE.PRIORITY_WEIGHTS)[0]
        target = RESPOND_TARGETS[priority]
        status = rng.choices(statuses, status_weights)[0]
        if i in due_now:
            due = NOW - dt.timedelta(seconds=rng.randrange(60, 600))
            warning = due - target / 4
            escalated = due - target
        else:
            due = NOW + dt.timedelta(seconds=rng.uniform(60, spread))
            warning = NOW + (due - NOW) * 0.75
            escalated = NOW - dt.timedelta(seconds=rng.randrange(0, 7200))
        t_rows.append(
            tickets.row(
                id=ticket_id,
                client=client,
                number=number,
                title=f"{BASE.TITLES[i % len(BASE.TITLES)]} ({number})",
                type="incident",
                category=fx.category_ids[rng.randrange(len(fx.category_ids))],
                priority=priority,
                description="The application closes a few seconds after it opens, for every user of the site.",
                tried="Restarted it, repaired the install, tried another profile.",
                error_messages="0x800ccc0e",
                conditions="Every morning after sign-in.",
                requester=requester,
                affected_person=requester,
                source="portal",
                status=status,
                tier=rng.choices(BASE.TIERS, BASE.TIER_WEIGHTS)[0],
                assignee=None if status == "escalated" else fx.technician_ids[rng.randrange(len(fx.technician_ids))],
                escalated_at=escalated,
                respond_due_at=due,
                verdict="covered",
                verdict_reasons=BASE.REASONS,
                desk_vertical=fx.client_vertical.get(client),
                created_at=escalated - dt.timedelta(minutes=10),
                updated_at=escalated,
            )
        )
        c_rows.append(
            clocks.row(
                id=clock_id,
                ticket=ticket_id,
                client=client,
                started_at=escalated,
                priority=priority,
                target_seconds=int(target.total_seconds()),
                state="running",
                due_at=due,
            )
        )
        r_rows.append(timers.row(id=timer_id, clock=clock_id, kind="warning", fire_at=warning))
        r_rows.append(timers.row(id=timer_id + 1, clock=clock_id, kind="breach", fire_at=due))
        ticket_id, clock_id, timer_id, number = ticket_id + 1, clock_id + 1, timer_id + 2, number + 1
        if len(t_rows) == batch:
            yield t_rows, c_rows, r_rows
            t_rows, c_rows, r_rows = [], [], []
    if t_rows:
        yield t_rows, c_rows, r_rows


def load(fx: Any) -> Loaded:
    batch = 10_000
    tables = (Rows(Ticket), Rows(ResponseClock), Rows(ClockTimer))
    done, started, next_report = 0, time.perf_counter(), max(ARGS.tickets // 10, batch)
    for rows in batches(fx, batch):
        with transaction.atomic():
            for table, table_rows in zip(tables, rows, strict=True):
                table.insert(table_rows)
        done += len(rows[0])
        if done >= next_report or done == ARGS.tickets:
            elapsed = time.perf_counter() - started
            say(
                f"  tickets + clocks + timers {done:>9,}/{ARGS.tickets:,}  {done / elapsed:,.0f} tickets/s"
                f"  peak RSS {BASE.rss_mb():,.0f} MB"
            )
            next_report += max(ARGS.tickets // 10, batch)
    seconds = time.perf_counter() - started
    last = Ticket.objects.aggregate(m=Max("number"))["m"] or 0
    TicketSequence.objects.update_or_create(pk=1, defaults={"last": last})
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        if not SQLITE:
            for model in (Ticket, ResponseClock, ClockTimer):  # explicit ids were written: move the sequences on
                table = model._meta.db_table
                cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608
            cursor.execute("VACUUM (ANALYZE)")  # what autovacuum does shortly after a load this size
        elif ARGS.sqlite_analyze:
            cursor.execute("ANALYZE")
        else:  # what the app's next connection does when it opens (settings: init_command)
            cursor.execute("PRAGMA analysis_limit=400")
            cursor.execute("PRAGMA optimize=0x10002")
    say(f"  {'VACUUM ANALYZE' if not SQLITE else 'statistics'}: {time.perf_counter() - t0:.1f} s")
    due = ClockTimer.objects.filter(fired_at__isnull=True, fire_at__isnull=False, fire_at__lte=NOW)
    return Loaded(
        due_timer_ids=list(due.values_list("pk", flat=True)),
        due_clock_ids=sorted(set(due.values_list("clock_id", flat=True))),
        seconds=seconds,
    )


# --- the sweep ------------------------------------------------------------------------------------


def captured_claim() -> tuple[str, list[Any]]:
    """The claim ``fire_due`` sends (its first SELECT of the timer table), captured from a sweep at
    an instant when nothing is due, with that instant replaced by ``NOW``."""
    long_ago = NOW - dt.timedelta(days=3650)
    queries: list[tuple[str, Any]] = []
    table = ClockTimer._meta.db_table

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if table in sql and sql.lstrip().upper().startswith("SELECT"):
            queries.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        assert fire_due(long_ago) == 0
    sql, params = queries[0]
    then, now = connection.ops.adapt_datetimefield_value(long_ago), connection.ops.adapt_datetimefield_value(NOW)
    replaced = [now if p in (then, long_ago) else p for p in params]
    assert replaced != list(params), "the claim takes no instant?"
    return sql, replaced


def claim_once(sql: str, params: list[Any]) -> int:
    with transaction.atomic(), connection.cursor() as cursor:  # as fire_due: claimed in its transaction
        cursor.execute(sql, params)
        return len(cursor.fetchall())


@dataclass
class Marks:
    """Where the effect tables ended before a timed sweep, to remove what it wrote."""

    clock_event: int
    ticket_event: int
    delivery: int
    tasks: set[Any]


def marks() -> Marks:
    def top(model: Any) -> int:
        return int(model.objects.aggregate(m=Max("pk"))["m"] or 0)

    return Marks(
        top(ClockEvent), top(TicketEvent), top(WebhookDelivery), set(DBTaskResult.objects.values_list("pk", flat=True))
    )


def undo(loaded: Loaded, before: Marks) -> None:
    """The due timers pending again, and every row their firing wrote gone (not timed)."""
    with transaction.atomic():
        ClockTimer.objects.filter(pk__in=loaded.due_timer_ids).update(fired_at=None)
        ResponseClock.objects.filter(pk__in=loaded.due_clock_ids).update(breached_at=None)
        ClockEvent.objects.filter(pk__gt=before.clock_event).delete()
        TicketEvent.objects.filter(pk__gt=before.ticket_event).delete()
        WebhookDelivery.objects.filter(pk__gt=before.delivery).delete()
        DBTaskResult.objects.exclude(pk__in=before.tasks).delete()


def measure_sweep(loaded: Loaded) -> tuple[str, list[Any]]:
    due = len(loaded.due_timer_ids)
    pending = ClockTimer.objects.filter(fired_at__isnull=True, fire_at__isnull=False).count()
    say(f"\nbreach sweep at NOW: {pending:,} pending timers, {due} due ({ARGS.runs} runs each)")
    say(f"  {'':<46} {'runs':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target")
    sql, params = captured_claim()
    claimed = claim_once(sql, params)
    assert claimed == min(due, 200), (claimed, due)
    values = timed_runs(lambda _: claim_once(sql, params), ARGS.runs)
    lock = "" if SQLITE else ", FOR UPDATE SKIP LOCKED"
    REPORT.add(Latency(f"claim: SELECT due pending timers{lock}", values, SWEEP_TARGET_MS, f"{claimed} claimed"))

    before = marks()
    audit_before = BASE.AuditEntry.objects.count()
    values = []
    for run in range(ARGS.fire_runs + 1):
        t0 = time.perf_counter()
        fired = fire_due(NOW)
        elapsed = (time.perf_counter() - t0) * 1000
        assert fired == due, (fired, due)
        if run:  # the first run warms the caches
            values.append(elapsed)
        if run < ARGS.fire_runs:
            undo(loaded, before)
    assert BASE.AuditEntry.objects.count() == audit_before  # the breach action is "notify": nothing audited
    REPORT.add(
        Latency(
            f"fire_due firing {due} due timers", values, None, f"{sum(values) / len(values) / due:.1f} ms per timer"
        )
    )
    values = timed_runs(lambda _: fire_due(NOW), ARGS.runs)
    REPORT.add(Latency("fire_due, nothing due (every 15 s)", values, SWEEP_TARGET_MS, "claim + transaction"))
    return sql, params


# --- 3. due in the next 15 minutes ----------------------------------------------------------------


def due_soon_tickets(now: dt.datetime) -> Any:
    """The desk's open tickets whose respond target falls in the next 15 minutes, due first."""
    return Ticket.objects.filter(on_desk=True, respond_due_at__gte=now, respond_due_at__lt=now + SOON).order_by(
        "respond_due_at", "number"
    )


def due_soon_timers(now: dt.datetime) -> Any:
    """The same question asked of the pending breach timers."""
    return ClockTimer.objects.filter(
        kind="breach", fired_at__isnull=True, fire_at__isnull=False, fire_at__gte=now, fire_at__lt=now + SOON
    ).order_by("fire_at", "id")


QUESTIONS = (
    ("desk tickets by respond_due_at", due_soon_tickets, ("pk", "number", "priority", "status", "respond_due_at",
                                                          "client_id", "assignee_id")),
    ("breach timers by fire_at", due_soon_timers, ("clock__ticket_id", "fire_at")),
)  # fmt: skip


def measure_due_soon() -> None:
    say(f"\ndue in the next 15 minutes, at NOW + up to 6 h ({ARGS.runs} runs each)")
    rng = random.Random(ARGS.seed)

    def instant() -> dt.datetime:
        return NOW + dt.timedelta(seconds=rng.randrange(0, 6 * 3600))

    for name, query, columns in QUESTIONS:

        def every_row(now: dt.datetime, query: Any = query, columns: tuple[str, ...] = columns) -> int:
            return len(list(query(now).values_list(*columns)))

        def page(now: dt.datetime, query: Any = query, columns: tuple[str, ...] = columns) -> tuple[int, int]:
            """What the desk shows: the first page of 50, and a count stopping at 1,000 as
            ``console.desk.capped_count`` does it."""
            return len(list(query(now).values_list(*columns)[:50])), query(now).order_by()[:1001].count()

        rows = [every_row(instant()) for _ in range(20)]
        values = timed_runs(every_row, ARGS.runs, prepare=instant)
        REPORT.add(Latency(f"due soon: {name}, all", values, DUE_SOON_TARGET_MS, f"{min(rows)}–{max(rows)} rows"))
        values = timed_runs(page, ARGS.runs, prepare=instant)
        REPORT.add(Latency(f"due soon: {name}, page", values, DUE_SOON_TARGET_MS, "first 50 + count capped at 1,000"))


# --- plans ----------------------------------------------------------------------------------------


def explain(claim: tuple[str, list[Any]]) -> None:
    """Each question's plan once, and whether its partial index is used."""
    soon = NOW + dt.timedelta(hours=1)
    plans = [
        ("claim (as fire_due sends it)", *claim, "timer_pending_fire_at"),
        *(
            (f"due soon: {name}{part}", *queryset.query.sql_with_params(), index)
            for (name, query, columns), index in zip(
                QUESTIONS, ("ticket_desk_due", "timer_pending_fire_at"), strict=True
            )
            for part, queryset in (
                ("", query(soon).values_list(*columns)),
                (", first page", query(soon).values_list(*columns)[:50]),
                (", capped count", query(soon).order_by()[:1001].values("pk")),
            )
        ),
    ]
    prefix = "EXPLAIN QUERY PLAN " if SQLITE else "EXPLAIN (ANALYZE, BUFFERS) "
    say(f"\nquery plans ({prefix.strip()})")
    for label, sql, params, index in plans:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            lines = [str(row[-1]) if SQLITE else str(row[0]) for row in cursor.fetchall()]
            transaction.set_rollback(True)  # EXPLAIN ANALYZE of the claim locks rows
        used = any(index in line for line in lines)
        REPORT.note(f"  plan of {label}: index {index} {'used' if used else 'NOT USED'}")
        say(f"--- {label}\n    {BASE._short(sql)}")
        for line in lines:
            say("    " + line)


# --- main -----------------------------------------------------------------------------------------


def main() -> None:
    t_all = time.perf_counter()
    say(f"database: {connection.vendor} ({BASE.SCRATCH_DB or BASE.TMP}); {ARGS.tickets:,} open tickets")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    fx = BASE.set_up()
    # Deliveries are written with each firing, as in production; no worker runs to send them.
    WebhookEndpoint.objects.create(
        url="https://hooks.example.com/sla", events=["ticket.sla_warning", "ticket.sla_breached"], secret="s" * 32
    )
    say(f"set-up (clients, people, staff, contracts, one webhook endpoint): {time.perf_counter() - t0:.1f} s")
    batch_kind = "executemany" if SQLITE else "COPY"
    say(f"loading {ARGS.tickets:,} open tickets + clocks + 2 timers each ({batch_kind}, batches of 10,000)")
    loaded = load(fx)
    on_desk = Ticket.objects.filter(on_desk=True).count()
    REPORT.note(
        f"loaded {ARGS.tickets:,} tickets, clocks and {2 * ARGS.tickets:,} timers in {loaded.seconds:.1f} s "
        f"({ARGS.tickets / loaded.seconds:,.0f} tickets/s); {on_desk:,} on the desk"
    )
    claim = measure_sweep(loaded)
    measure_due_soon()
    explain(claim)
    BASE.print_figures(f"{ARGS.tickets:,} open tickets, {2 * ARGS.tickets:,} pending timers", t_all)


if __name__ == "__main__":
    try:
        if not ARGS.skip_deadlines:
            deadlines()
        main()
    finally:
        BASE.clean_up()
