"""Knowledge-base search at volume (``comanaged.core.search``): indexing rate and query latency.

1. Indexing: ``--articles`` articles (100,000) across ``--clients`` clients (500, a few big ones
   and a long tail; ``--provider-share`` of them provider-wide) at the three audience levels, and
   ``--tickets`` tickets (1,000,000, staff-only), the articles spread evenly among the tickets,
   all written through ``search.index_many`` (its batches: executemany on SQLite, COPY and one
   INSERT … SELECT on PostgreSQL). Entries/s, with the time the generator itself took shown apart.
2. Search latency: ``--queries`` (200) typical queries of one to three IT words — a third of them
   with the last word cut short, as typed into a search box — run ``--runs`` times over (p50/p95 of
   every call of ``search.search`` for the first page of 20) for (a) a global staff reader (every
   client, every audience, tickets included), (b) a POC of the largest client (its articles and
   the provider-wide ones at audience CLIENT and above), and (c) global staff on articles only.
   Target p95 < 30 ms.
3. The plans of every statement of two searches — one word, three words — for both readers, once
   (EXPLAIN QUERY PLAN on SQLite; EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL).

The text is generated: each entry is about one of ~30 IT topics (printer, VPN, Outlook,
backup …) and mixes that topic's words with general IT words, common English and a long tail of
made-up words (product names, host names, error codes). The database and the figure lines are
``bench/tickets.py``'s, loaded as a module (SQLite in a temporary directory, or a scratch database
on the PostgreSQL server of ``--postgres-url``, dropped at the end; ``--keep`` keeps either).

    .venv/bin/python bench/kb.py                                   # SQLite, 100k articles + 1M tickets
    .venv/bin/python bench/kb.py --db postgres
    .venv/bin/python bench/kb.py --articles 10000 --tickets 50000 --runs 1   # a quick run
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

TARGET_MS = 30.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--provider-share", type=float, default=0.03, help="share of articles that are provider-wide")
    parser.add_argument("--queries", type=int, default=200, help="distinct queries")
    parser.add_argument("--runs", type=int, default=2, help="times each query is run per reader (after a warm-up)")
    parser.add_argument("--batch", type=int, default=2000, help="index_many batch size")
    parser.add_argument("--sqlite-analyze", action="store_true", help="full ANALYZE on SQLite")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database and directory")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


ARGS = parse_args()


def load_ticket_bench() -> ModuleType:
    """``bench/tickets.py`` as a module: it creates the scratch database, sets Django up, and
    brings the figure helpers (the same as ``bench/sla.py`` does)."""
    argv = ["tickets.py", "--db", ARGS.db, "--postgres-url", ARGS.postgres_url, "--tickets", "0"]
    argv += ["--runs", str(ARGS.runs), "--seed", str(ARGS.seed)] + ["--keep"] * ARGS.keep
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


BASE = load_ticket_bench()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from comanaged.core import search  # noqa: E402
from comanaged.core.models import SearchEntry  # noqa: E402
from comanaged.core.search import Audience, Entry, Reader  # noqa: E402

SQLITE = connection.vendor == "sqlite"
Latency, REPORT = BASE.Latency, BASE.REPORT


def say(text: str) -> None:
    print(text, flush=True)


# --- text ------------------------------------------------------------------------------------------

_TOPICS = """
printer: printer toner spooler driver queue paper jam scanner duplex tray cartridge print
vpn: vpn tunnel disconnect anyconnect forticlient ipsec gateway certificate split reconnect
outlook: outlook mailbox calendar profile ost pst signature delegate autodiscover inbox
firewall: firewall port rule fortigate sonicwall nat blocked whitelist policy inspection
backup: backup restore veeam snapshot retention nightly job failed offsite replica
wifi: wifi wireless access point ssid signal roaming meraki coverage band
password: password reset locked account mfa authenticator expired lockout sspr
teams: teams meeting call audio headset chat channel presence webinar echo
sharepoint: sharepoint onedrive sync library permissions site folder conflict version
laptop: laptop docking station battery keyboard screen charger hinge warranty replacement
server: server disk space volume raid controller hyperv vm host memory
dns: dns dhcp lease scope record resolution domain controller forwarder zone
phone: phone voip extension voicemail dial tone sip handset transfer ring
erp: erp invoice module login timeout report export ledger batch posting
antivirus: antivirus defender malware quarantine phishing alert scan threat edr ransomware
onboarding: onboarding new starter account laptop licence access equipment joiner leaver
licence: licence license subscription renewal seat activation key expiry microsoft
excel: excel spreadsheet macro addin formula pivot workbook crash freeze
browser: browser chrome edge cache cookies extension certificate proxy homepage
remote: remote desktop rdp gateway session citrix connection broker published
directory: active directory group policy gpo user ou replication sync entra
patching: patching windows update reboot patch cumulative rollout feature failed
monitor: monitor display resolution hdmi displayport flicker second projector
network: network switch vlan cable port latency packet loss uplink outage
storage: nas share mapped drive permissions quota file server smb
mobile: mobile iphone android intune enrolment mdm app compliance wipe
database: database sql query slow index deadlock transaction log growth
camera: camera cctv nvr recording footage door access badge reader
ups: ups power battery outage surge generator shutdown runtime
email: email spam quarantine bounce smtp relay dkim spf mailflow
"""
_GENERAL_IT = """
user computer issue error problem install update configure setting application service login access
support ticket device system restart slow fails working office site admin client software hardware
connection internet windows microsoft server account message screen file folder
"""
_ENGLISH = """
morning afternoon yesterday today week monday friday again still since after before every always never
sometimes please thanks team manager staff desk floor building meeting urgent quickly minutes hours
reported noticed tried checked confirmed replaced changed moved asked called waiting started stopped
working broken different same another whole first second third last next small large new old good
customer project finance sales reception warehouse director partner colleague laptop people everyone
nothing something anything shows says appears keeps seems looks wants needs gets makes takes gives
"""
TOPICS = {name: words.split() for name, words in (line.split(":") for line in _TOPICS.strip().splitlines())}
GENERAL_IT = _GENERAL_IT.split()
ENGLISH = _ENGLISH.split()
_SYLLABLES = "ka lo mi ne ru sa te vo zi pa do fe gu hi ja"


def long_tail(rng: random.Random, count: int) -> list[str]:
    """Made-up words: product names, host names, error codes, people's names."""
    syllables = _SYLLABLES.split()
    words = set()
    while len(words) < count:
        kind = rng.random()
        if kind < 0.6:
            words.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
        elif kind < 0.8:
            words.add(f"srv{rng.choice(syllables)}{rng.randint(1, 99):02d}")
        else:
            words.add(f"0x8{rng.randrange(16**7):07x}")
    ordered = sorted(words)
    rng.shuffle(ordered)  # the Zipf ranks: any kind of word may be frequent
    return ordered


class TextMaker:
    """Entries about one topic each. Sentences are drawn from a pool per topic (built once: a mix
    of the topic's words, general IT words, common English and the long tail), so a million
    entries are made in a minute rather than ten — and, as in real tickets, phrases recur."""

    SENTENCES_PER_TOPIC = 2_500

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.topics = list(TOPICS.values())
        self.tail = long_tail(self.rng, 30_000)
        self.tail_cum = self._cumulative([1 / (rank + 1) for rank in range(len(self.tail))])  # Zipf
        self.topic_cum = self._cumulative([1 / (rank + 1) ** 0.7 for rank in range(len(self.topics))])
        self.sentences = [
            [" ".join(self.words(topic, self.rng.randint(6, 14), (0.2, 0.15, 0.4))).capitalize() + "."
             for _ in range(self.SENTENCES_PER_TOPIC)]
            for topic in self.topics
        ]  # fmt: skip

    @staticmethod
    def _cumulative(weights: list[float]) -> list[float]:
        out, total = [], 0.0
        for w in weights:
            total += w
            out.append(total)
        return out

    def words(self, topic: list[str], n: int, mix: tuple[float, float, float]) -> list[str]:
        rng = self.rng
        t, g, e = mix
        n_topic, n_general, n_english = int(n * t), int(n * g), int(n * e)
        out = rng.choices(topic, k=n_topic) + rng.choices(GENERAL_IT, k=n_general)
        out += rng.choices(ENGLISH, k=n_english)
        out += rng.choices(self.tail, cum_weights=self.tail_cum, k=max(0, n - len(out)))
        rng.shuffle(out)
        return out

    def document(self, title_words: tuple[int, int], body_words: tuple[int, int]) -> tuple[str, str]:
        rng = self.rng
        index = rng.choices(range(len(self.topics)), cum_weights=self.topic_cum)[0]
        title = self.words(self.topics[index], rng.randint(*title_words), (0.6, 0.25, 0.15))
        sentences = rng.choices(self.sentences[index], k=max(1, rng.randint(*body_words) // 10))
        return " ".join(title).capitalize(), " ".join(sentences)

    def query(self) -> str:
        rng = self.rng
        topic = rng.choices(self.topics, cum_weights=self.topic_cum)[0]
        n = rng.choices((1, 2, 3), (0.4, 0.4, 0.2))[0]
        pool = topic + GENERAL_IT[:10] if n > 1 else topic
        words = rng.sample(pool, n)
        if rng.random() < 1 / 3 and len(words[-1]) > 4:  # typed, not finished
            words[-1] = words[-1][: rng.randint(3, len(words[-1]) - 1)]
        return " ".join(words)


# --- entries -------------------------------------------------------------------------------------


def client_weights(rng: random.Random) -> tuple[list[int], list[float]]:
    ids = list(range(1, ARGS.clients + 1))
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(ids))]  # a few big clients, a long tail
    cum, total = [], 0.0
    for w in weights:
        total += w
        cum.append(total)
    return ids, cum


def entries(maker: TextMaker) -> Iterator[Entry]:
    """Articles spread evenly among the tickets, as both are written over the same years."""
    rng = random.Random(ARGS.seed + 1)
    ids, cum = client_weights(rng)
    total = ARGS.articles + ARGS.tickets
    article = ticket = 0
    for i in range(total):
        if article < ARGS.articles and (ticket >= ARGS.tickets or article * total <= i * ARGS.articles):
            article += 1
            title, body = maker.document((3, 8), (60, 250))
            client = None if rng.random() < ARGS.provider_share else rng.choices(ids, cum_weights=cum)[0]
            audience = rng.choices(list(Audience), (0.2, 0.4, 0.4))[0]
            yield Entry(kind="article", object_id=article, client_id=client, audience=audience, title=title, body=body)
        else:
            ticket += 1
            title, body = maker.document((4, 9), (20, 120))
            client = rng.choices(ids, cum_weights=cum)[0]
            yield Entry(
                kind="ticket",
                object_id=ticket,
                client_id=client,
                audience=Audience.STAFF,
                title=f"#{ticket} {title}",
                body=body,
            )


class Timed:
    """An iterator that adds up the time spent producing its items (the generator's share)."""

    def __init__(self, items: Iterator[Entry]) -> None:
        self.items = items
        self.seconds = 0.0

    def __iter__(self) -> Timed:
        return self

    def __next__(self) -> Entry:
        t0 = time.perf_counter()
        try:
            return next(self.items)
        finally:
            self.seconds += time.perf_counter() - t0


def load(maker: TextMaker) -> None:
    total = ARGS.articles + ARGS.tickets
    source = Timed(entries(maker))
    started = time.perf_counter()
    report_every = max(total // 10, ARGS.batch)
    next_report = [report_every]

    def progress(done: int) -> None:
        if done >= next_report[0] or done == total:
            elapsed = time.perf_counter() - started
            rate = done / max(elapsed - source.seconds, 1e-9)
            say(
                f"  entries {done:>9,}/{total:,}  {rate:,.0f}/s (generation excluded)  peak RSS {BASE.rss_mb():,.0f} MB"
            )
            next_report[0] += report_every

    written = search.index_many(source, batch_size=ARGS.batch, on_progress=progress)
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
    after = time.perf_counter() - t0
    indexing = elapsed - source.seconds
    REPORT.note(
        f"indexed {written:,} entries in {elapsed:.0f} s: {written / indexing:,.0f} entries/s in index_many "
        f"({written / elapsed:,.0f}/s with the text generator's {source.seconds:.0f} s); "
        f"{'VACUUM ANALYZE' if not SQLITE else 'statistics'} {after:.1f} s; {size_note()}"
    )


def size_note() -> str:
    with connection.cursor() as cursor:
        if SQLITE:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            total = pages * cursor.fetchone()[0]
            cursor.execute("SELECT count(*) FROM core_searchentry_fts_data")
            segments = cursor.fetchone()[0]
            return f"database {total / 2**20:,.0f} MB, {segments:,} FTS5 data rows"
        cursor.execute(
            "SELECT pg_total_relation_size('core_searchentry'), pg_relation_size('core_searchentry_search_vector')"
        )
        table, gin = cursor.fetchone()
        return f"table with indexes {table / 2**20:,.0f} MB, of which GIN {gin / 2**20:,.0f} MB"


# --- search --------------------------------------------------------------------------------------


def largest_client() -> int:
    return (
        SearchEntry.objects.filter(kind="article", client_id__isnull=False)
        .values_list("client_id", flat=True)
        .order_by()
        .annotate(n=__import__("django.db.models", fromlist=["Count"]).Count("id"))
        .order_by("-n")[0]
    )


def measure(
    name: str, queries: list[str], run: Callable[[str], list[search.Hit]], counted: Callable[[str], int]
) -> None:
    for text in queries:  # warm-up: the pages the queries read
        run(text)
    values: list[float] = []
    for _ in range(ARGS.runs):
        for text in queries:
            t0 = time.perf_counter()
            run(text)
            values.append((time.perf_counter() - t0) * 1000)
    matches = [counted(text) for text in queries]
    empty = sum(1 for m in matches if m == 0)
    at_cap = sum(1 for m in matches if m >= search.CANDIDATE_CAP)
    note = f"matches median {statistics.median(matches):,.0f}, {at_cap} at the cap, {empty} none"
    REPORT.add(Latency(name, values, TARGET_MS, note))


def explain(text: str, reader: Reader, label: str) -> None:
    """The plan of each SELECT that one search sends, with its parameters."""
    captured: list[tuple[str, Any]] = []

    def keep(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")):
            captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(keep):
        search.search(text, reader)
    prefix = "EXPLAIN QUERY PLAN " if SQLITE else "EXPLAIN (ANALYZE, BUFFERS) "
    say(f"\n--- {label}: {text!r}")
    for sql, params in captured:
        say("  " + " ".join(sql.split())[:300])
        say(f"    params: {[str(p)[:300] for p in params or ()]}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            for row in cursor.fetchall():
                say("    " + (str(row[-1]) if SQLITE else str(row[0])))


def main() -> None:
    t_all = time.perf_counter()
    total = ARGS.articles + ARGS.tickets
    say(f"database: {connection.vendor} ({BASE.SCRATCH_DB or BASE.TMP}); {ARGS.articles:,} articles, ")
    say(f"  {ARGS.tickets:,} tickets, {ARGS.clients} clients")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    say(f"migrate: {time.perf_counter() - t0:.1f} s")
    maker = TextMaker(ARGS.seed)
    say(f"indexing {total:,} entries (index_many, batches of {ARGS.batch:,})")
    load(maker)

    queries = [maker.query() for _ in range(ARGS.queries)]
    say(f"queries, e.g.: {', '.join(repr(q) for q in queries[:8])}")
    client = largest_client()
    client_articles = SearchEntry.objects.filter(kind="article", client_id=client).count()
    staff = Reader(client_ids=None, min_audience=Audience.STAFF)
    poc = Reader(client_ids=frozenset({client}), min_audience=Audience.CLIENT)
    say(f"\nsearch, first page of 20 ({ARGS.queries} queries x {ARGS.runs} runs per reader)")
    say(f"  {'':<46} {'n':>5} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}  target")
    measure("global staff: every kind", queries, lambda q: search.search(q, staff), lambda q: search.count(q, staff))
    measure(
        f"POC of the largest client ({client_articles:,} articles)",
        queries,
        lambda q: search.search(q, poc),
        lambda q: search.count(q, poc),
    )
    articles = ("article",)
    measure(
        "global staff: articles only",
        queries,
        lambda q: search.search(q, staff, kinds=articles),
        lambda q: search.count(q, staff, kinds=articles),
    )
    say("\nquery plans")
    common = next((q for q in queries if " " not in q and len(q) > 4), queries[0])
    several = next((q for q in queries if q.count(" ") == 2), queries[-1])
    for text in (common, several):
        explain(text, staff, "global staff")
        explain(text, poc, "POC")
    BASE.print_figures(f"{ARGS.articles:,} articles + {ARGS.tickets:,} tickets, {ARGS.clients} clients", t_all)


if __name__ == "__main__":
    try:
        main()
    finally:
        BASE.clean_up()
