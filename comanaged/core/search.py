"""Full-text search: SQLite FTS5 or PostgreSQL full-text, behind one small interface.

The knowledge base (articles, environment documents) and, for provider staff, tickets put what
may be found into one table, :class:`~comanaged.core.models.SearchEntry`, through :func:`index`,
:func:`index_many` and :func:`unindex`; :func:`search` (and :func:`count`) answer a person's
query for a :class:`Reader`. The index beside that table is made by raw SQL in migration 0005:
an external-content FTS5 table kept in step by triggers (SQLite), or a stored generated tsvector
with a GIN index (PostgreSQL). English stemming on both (FTS5 ``porter unicode61
remove_diacritics 2``, PostgreSQL ``english``), so "printers" finds "printer".

**Whatever a person types is data, never query syntax.** :func:`parse_terms` keeps words only
(letters and digits after NFKC, at most :data:`MAX_TERMS` of at most :data:`MAX_TERM_LENGTH`
characters, English stop words left out as PostgreSQL leaves them out), so quotes, ``*``, ``-``,
``NEAR``, ``OR``, parentheses, colons, NUL or 10 kB of SQL can neither break the query nor change
its meaning. The words are quoted into the FTS5 expression or the tsquery, and those are passed
as parameters. Every term must match (AND).

**Every term is a prefix, through a vocabulary.** Neither database reads a prefix lazily: FTS5
(without a prefix index of exactly that length) and GIN both gather every posting of every word
the prefix starts before the first row, tens of milliseconds for a common word in a million
entries, and whatever the reader's scope. So :class:`~comanaged.core.models.SearchWord` keeps
the words of the indexed text, and :func:`expand` turns a term into itself and the words that
start with it, the most common first (at most :data:`MAX_EXPANSIONS`): "prin" becomes "prin" OR
"print" OR "printer" …, whole words the index reads lazily and intersects with the scope. A
one-letter term stands for itself only. The vocabulary is shared by all clients: another client's
words can be among the completions (never among the results), and a rare word of one client may
fall outside the completions of a short prefix.

**Tenancy fails closed inside the index query itself.** Each entry carries tag lexemes
(:func:`entry_tags`) derived from its client, audience and kind, indexed with it: ``c42v1`` means
"client 42's, readable at audience level 1" (an entry gets one per level it is readable at, so a
reader needs one tag, not a range), ``cg`` stands for provider-wide, ``v1`` for the level
whatever the client, ``karticle0`` for the kind. A reader's scope (:func:`reader_tags`) becomes
part of the full-text match — an FTS5 column filter on the hidden ``tags`` column; ``simple``
lexemes of weight D on PostgreSQL, which the person's terms (restricted to weights A and B) can
never match and the ranking weighs 0 — so the index intersects posting lists rather than the
database filtering rows after the fact, and an entry outside the scope is never a candidate,
a hit or part of a count. A reader that may see nothing gets nothing without a query.

**Ranking a capped candidate set.** At most :data:`CANDIDATE_CAP` entries that match the query
and the scope are ranked — recent ones. SQLite: the most recently indexed (FTS5 walks its
doclists by descending rowid and stops there). PostgreSQL: the first the bitmap scan finds —
among the newest entries when every word of the query is common, else in the whole index (GIN
cannot stop early; :func:`_pg_window` estimates from the vocabulary's counts which is cheaper).
A common query can therefore miss an older entry that would have ranked high — the price of a
latency that does not grow with the index; a second word narrows the match. Entries with a term
in the title come first, then the others; within each, newest first on SQLite and by
``ts_rank`` (title 1, body 0.1) on PostgreSQL. FTS5's bm25 is not used: before its first row it
counts every entry that holds each word and tag of the query (the whole doclist of a common
word: up to a hundred milliseconds in a million entries).

**Snippets are safe HTML.** The snippet is computed for the returned page only (FTS5
``snippet()`` over a private temporary FTS5 table holding the page; ``ts_headline``); the
database marks matches with private characters (``\\x02`` and ``\\x03``, removed from all
indexed text), the text is HTML-escaped and only those marks become ``<mark>``/``</mark>``. The
title of a :class:`Hit` is plain text: templates escape it.
"""

from __future__ import annotations

import html
import math
import operator
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from enum import IntEnum
from itertools import islice
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.safestring import SafeString

MAX_TERMS = 8
MAX_TERM_LENGTH = 40
MAX_INPUT_CHARS = 1_000  # more than eight words' worth; bounds the work on pasted text
MAX_LIMIT = 100
CANDIDATE_CAP = 1_000
# PostgreSQL: every entry's vector holds the lexeme "r<id >> RECENT_BUCKET_BITS>" (migration 0005
# computes it: the two must agree); a query of common words only is first asked about the newest
# buckets of entries (at least RECENT_BUCKETS), sized to hold about RECENT_TARGET matches, when
# the index has RECENT_MIN_ENTRIES or more (see _pg_window).
RECENT_BUCKET_BITS = 13
RECENT_BUCKETS = 2
RECENT_TARGET = 300
RECENT_MIN_ENTRIES = 100_000
MAX_EXPANSIONS = 16  # words a prefix stands for
TITLE_MAX_CHARS = 300  # SearchEntry.title
BODY_MAX_CHARS = 200_000  # a tsvector holds at most 1 MB; no knowledge-base text comes near
KIND_PATTERN = re.compile(r"[a-z_]{1,20}")
FTS_TABLE = "core_searchentry_fts"
PG_RANK_WEIGHTS = "{0, 0, 0.1, 1}"  # ts_rank weights of D (tags), C, B (body), A (title)
SNIPPET_WORDS = 24

_MARK_START, _MARK_END = "\x02", "\x03"
# Control characters (our snippet marks among them; NUL, which PostgreSQL text refuses) and lone
# surrogates (not encodable) never reach the index.
_UNINDEXABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_WORD = re.compile(r"[^\W_]+")  # letters and digits; "_" separates, as both tokenizers do
# PostgreSQL's english stop words (tsearch_data/english.stop): it drops them from a tsquery, so
# parse_terms drops them on both databases and a query means the same on either.
_PG_ENGLISH_STOP = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom
    this that these those am is are was were be been being have has had having do does did doing
    a an the and but if or because as until while of at by for with about against between into
    through during before after above below to from up down in out on off over under again
    further then once here there when where why how all any both each few more most other some
    such no nor not only own same so than too very s t can will just don should now
"""
STOP_WORDS = frozenset(_PG_ENGLISH_STOP.split())


class Audience(IntEnum):
    """Who may read an entry; a reader reads entries at their own level and above."""

    STAFF = 0  # provider staff only
    CLIENT = 1  # the client's POCs (and staff)
    END_USERS = 2  # everyone at the client (and POCs, staff)


@dataclass(frozen=True)
class Entry:
    """What the index holds about one object. ``body`` is plain text or Markdown, never secrets."""

    kind: str  # "article", "document", "ticket" … ([a-z_]{1,20})
    object_id: int
    client_id: int | None  # None = provider-wide (seen by every client, subject to audience)
    audience: Audience
    title: str
    body: str


@dataclass(frozen=True)
class Reader:
    """Who searches: all clients (None) or a set of client ids; and the lowest audience level they may read."""

    client_ids: frozenset[int] | None  # None = every client (global staff)
    min_audience: Audience  # staff: STAFF, POC: CLIENT, end-user: END_USERS
    include_provider_wide: bool = True


@dataclass(frozen=True)
class Hit:
    """One result. ``snippet`` is safe HTML; ``title`` is plain text."""

    kind: str
    object_id: int
    client_id: int | None
    title: str
    snippet: str  # SAFE HTML: the text is HTML-escaped and only matched terms are wrapped in <mark>…</mark>
    rank: float  # higher is better: 1 with a term in the title, 0 without, + a fraction (0, 0.5] within


# --- Terms ---------------------------------------------------------------------------------------


def parse_terms(text: str) -> list[str]:
    """The words a person typed, as safe terms: lower-case letters and digits after NFKC, each at
    most MAX_TERM_LENGTH characters, no stop words, no repeats, at most MAX_TERMS. ``[]`` when
    nothing is searchable."""
    normalized = unicodedata.normalize("NFKC", text[:MAX_INPUT_CHARS]).lower()
    terms: list[str] = []
    for match in _WORD.finditer(normalized):
        term = match.group()[:MAX_TERM_LENGTH]
        if term in STOP_WORDS or term in terms:
            continue
        terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return terms


def _words(*texts: str) -> set[str]:
    """The words of indexed text that a prefix may stand for (as parse_terms reads a query; no
    one-letter words, which are only matched whole, and none longer than a term may be)."""
    normalized = unicodedata.normalize("NFKC", " ".join(texts)).lower()
    return {word for word in _WORD.findall(normalized) if 1 < len(word) <= MAX_TERM_LENGTH and word not in STOP_WORDS}


def _tag_words(tags: str) -> set[str]:
    """An entry's tags as vocabulary rows ("#c42v1"): counted like words, for PostgreSQL's
    estimates; "#" keeps them out of every prefix's range (terms are letters and digits)."""
    return {"#" + tag for tag in tags.split()}


# --- Tags: tenancy, audience and kind as lexemes ---------------------------------------------------
# Tags end in a digit so the porter stemmer leaves them alone, and hold no "_", which tokenizers
# split on. They live in their own FTS5 column / weight-D lexemes, out of reach of typed terms.

PROVIDER_WIDE = "cg"


def _owner(client_id: int | None) -> str:
    return PROVIDER_WIDE if client_id is None else f"c{operator.index(client_id)}"


def kind_tag(kind: str) -> str:
    if not isinstance(kind, str) or not KIND_PATTERN.fullmatch(kind):
        raise ValueError(f"search kind must match [a-z_]{{1,20}}: {kind!r}")
    return f"k{kind.replace('_', '0')}0"


def entry_tags(kind: str, client_id: int | None, audience: Audience) -> str:
    """The tag lexemes of an entry: one per audience level it is readable at, for its owner and
    for "any owner", and its kind."""
    owner = _owner(client_id)
    level = Audience(audience)
    tags = [f"{owner}v{v}" for v in range(level + 1)]
    tags += [f"v{v}" for v in range(1, level + 1)]
    tags.append(kind_tag(kind))
    return " ".join(tags)


@dataclass(frozen=True)
class Scope:
    """A reader's restrictions as tags: every group must match one of its tags; no ``excluded``
    tag may match. No group and nothing excluded = everything (global staff)."""

    groups: tuple[tuple[str, ...], ...]
    excluded: tuple[str, ...] = ()
    every_client: bool = False  # the tags narrow nothing down to a few clients


def reader_tags(reader: Reader, kinds: Collection[str] | None = None) -> Scope | None:
    """The scope of ``reader`` (and of ``kinds``) in tags, or None when it can see nothing."""
    level = Audience(reader.min_audience)
    groups: list[tuple[str, ...]] = []
    excluded: list[str] = []
    if reader.client_ids is not None:
        owners = [_owner(client_id) for client_id in sorted(reader.client_ids)]
        if reader.include_provider_wide:
            owners.append(PROVIDER_WIDE)
        if not owners:
            return None
        groups.append(tuple(f"{owner}v{level:d}" for owner in owners))
    else:
        if level > Audience.STAFF:
            groups.append((f"v{level:d}",))
        if not reader.include_provider_wide:
            excluded.append(f"{PROVIDER_WIDE}v0")  # every provider-wide entry has it
    if kinds is not None:
        if isinstance(kinds, str):
            raise TypeError("kinds is a collection of kinds, not one kind")
        wanted = tuple(kind_tag(kind) for kind in sorted(set(kinds)))
        if not wanted:
            return None
        groups.append(wanted)
    return Scope(tuple(groups), tuple(excluded), every_client=reader.client_ids is None)


# --- Writing -------------------------------------------------------------------------------------

_COLUMNS = ("kind", "object_id", "client_id", "audience", "title", "body", "tags", "updated_at")
_CHANGING = ("client_id", "audience", "title", "body", "tags")


def _clean(text: str, limit: int) -> str:
    return _UNINDEXABLE.sub(" ", str(text)[:limit])


def _row(entry: Entry, now: Any) -> tuple[Any, ...]:
    audience = Audience(entry.audience)
    client_id = None if entry.client_id is None else operator.index(entry.client_id)
    return (
        entry.kind,
        operator.index(entry.object_id),
        client_id,
        int(audience),
        _clean(entry.title, TITLE_MAX_CHARS),
        _clean(entry.body, BODY_MAX_CHARS),
        entry_tags(entry.kind, client_id, audience),
        now,
    )


def _upsert_sql(source: str = "") -> str:
    """INSERT … ON CONFLICT (kind, object_id) DO UPDATE, skipping the update (and on SQLite the
    index work of the trigger) when nothing indexed changed. ``source``: a SELECT of the rows
    instead of one row of parameters."""
    distinct = "IS NOT" if connection.vendor == "sqlite" else "IS DISTINCT FROM"
    source = source or "VALUES (" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    return (
        f"INSERT INTO core_searchentry ({', '.join(_COLUMNS)}) {source} "
        "ON CONFLICT (kind, object_id) DO UPDATE SET "
        + ", ".join(f"{column} = excluded.{column}" for column in (*_CHANGING, "updated_at"))
        + " WHERE "
        + " OR ".join(f"core_searchentry.{column} {distinct} excluded.{column}" for column in _CHANGING)
    )


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def index(entry: Entry) -> None:
    """Add ``entry`` to the index or update it (by kind and object id)."""
    row = _row(entry, _now())
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), row)
        # New words only: counting would lock rows of common words ("printer") until the
        # caller's transaction ends, and concurrent writers would queue behind each other.
        _add_words(cursor, [(word, 1) for word in _words(row[4], row[5]) | _tag_words(row[6])], count=False)


def _add_words(cursor: Any, words: list[tuple[str, int]], *, count: bool) -> None:
    """Upsert the vocabulary, a thousand words a statement, in word order (two writers then lock
    rows in the same order and cannot deadlock). ``count``: add to the counts of known words."""
    words = sorted(words)
    conflict = "DO UPDATE SET entries = core_searchword.entries + excluded.entries" if count else "DO NOTHING"
    for start in range(0, len(words), 1000):
        chunk = words[start : start + 1000]
        cursor.execute(
            "INSERT INTO core_searchword (word, entries) VALUES "  # noqa: S608 - placeholders only
            + ", ".join(["(%s, %s)"] * len(chunk))
            + f" ON CONFLICT (word) {conflict}",
            [value for pair in chunk for value in pair],
        )


def index_many(
    entries: Iterable[Entry], *, batch_size: int = 2000, on_progress: Callable[[int], Any] | None = None
) -> int:
    """Add or update many entries, ``batch_size`` a transaction (a backfill, a rebuild, the
    benchmark): executemany on SQLite, COPY and one INSERT … SELECT on PostgreSQL.
    ``on_progress(done)`` is called after each batch. Returns how many entries were written
    (repeats in one batch: the last one wins and counts once)."""
    done = 0
    iterator: Iterator[Entry] = iter(entries)
    while batch := list(islice(iterator, max(1, batch_size))):
        now = _now()
        # One upsert may not touch a row twice (PostgreSQL refuses): the last entry wins.
        unique = {(entry.kind, entry.object_id): entry for entry in batch}
        rows = [_row(entry, now) for entry in unique.values()]
        words: Counter[str] = Counter()
        for row in rows:
            words.update(_words(row[4], row[5]) | _tag_words(row[6]))
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                _copy_upsert(cursor, rows)
            else:
                cursor.executemany(_upsert_sql(), rows)
            _add_words(cursor, list(words.items()), count=True)
        done += len(rows)
        if on_progress is not None:
            on_progress(done)
    return done


_PG_LOAD_TABLE = "core_searchentry_load"


def _copy_upsert(cursor: Any, rows: list[tuple[Any, ...]]) -> None:
    """PostgreSQL: COPY the batch into a temporary table (emptied at commit), then one
    INSERT … SELECT … ON CONFLICT — faster than a statement of many parameters."""
    columns = ", ".join(_COLUMNS)
    cursor.execute(
        f"CREATE TEMPORARY TABLE IF NOT EXISTS {_PG_LOAD_TABLE} ON COMMIT DELETE ROWS "  # noqa: S608 - constants only
        f"AS SELECT {columns} FROM core_searchentry WITH NO DATA"
    )
    with cursor.cursor.copy(f"COPY {_PG_LOAD_TABLE} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(_upsert_sql(f"SELECT {columns} FROM {_PG_LOAD_TABLE}"))  # noqa: S608 - constants only
    cursor.execute(f"TRUNCATE {_PG_LOAD_TABLE}")  # a later batch in the same transaction starts empty


def unindex(kind: str, object_id: int) -> None:
    """Remove the entry of ``kind`` and ``object_id`` (nothing happens when there is none)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM core_searchentry WHERE kind = %s AND object_id = %s", [kind, operator.index(object_id)]
        )


# --- Reading -------------------------------------------------------------------------------------

# A query as sent: for each term, the words that may match it (all terms must match).
Phrase = tuple[tuple[str, ...], ...]


def expand(terms: list[str]) -> Phrase:
    """Each term and the words of the index that start with it, the most common first (at most
    MAX_EXPANSIONS). The database then matches whole words only, each stemmed: "printers" and
    "printer" meet at the stem, "prin" reaches "printer" through the expansion. A one-letter term
    stands for itself only."""
    return _expand(terms)[0]


def _expand(terms: list[str]) -> tuple[Phrase, list[int | None]]:
    """expand(), and for each term the entries its words came with in bulk indexing (None: not
    known) — PostgreSQL's estimate of how common it is."""
    prefixed = [(i, term) for i, term in enumerate(terms) if len(term) > 1]
    found: dict[int, list[str]] = {i: [] for i in range(len(terms))}
    entries: list[int | None] = [None] * len(terms)
    if prefixed:
        compare = 'word COLLATE "C"' if connection.vendor == "postgresql" else "word"
        sql = " UNION ALL ".join(
            f"SELECT {i} AS term, word, entries FROM (SELECT word, entries FROM core_searchword "  # noqa: S608
            f"WHERE {compare} >= %s AND {compare} < %s ORDER BY entries DESC, word LIMIT {MAX_EXPANSIONS}) AS e{i}"
            for i, _ in prefixed
        )
        params: list[Any] = []
        for _, term in prefixed:
            params += [term, term[:-1] + chr(ord(term[-1]) + 1)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for i, word, count in cursor.fetchall():
                found[i].append(word)
                entries[i] = (entries[i] or 0) + count
    return tuple(tuple(dict.fromkeys([term, *found[i]])) for i, term in enumerate(terms)), entries


@dataclass(frozen=True)
class _Ranked:
    ids: list[int]
    ranks: list[float]


# Tiers: a term in the title, in the body only.
TITLE, BODY = 1, 0


def search(
    text: str,
    reader: Reader,
    *,
    kinds: Collection[str] | None = None,
    limit: int = 20,
    offset: int = 0,
) -> list[Hit]:
    """The best ``limit`` entries (after ``offset``) that ``reader`` may see and that contain
    every term of ``text``; ``kinds`` restricts the kinds of entry. Best first."""
    terms = parse_terms(text)
    scope = reader_tags(reader, kinds)
    limit = max(0, min(limit, MAX_LIMIT))
    offset = max(0, offset)
    if not terms or scope is None or limit == 0 or offset >= CANDIDATE_CAP:
        return []
    limit = min(limit, CANDIDATE_CAP - offset)
    phrase, postings = _expand(terms)
    if connection.vendor == "postgresql":
        ranked = _rank_postgres(phrase, postings, scope, limit, offset)
    else:
        ranked = _rank_sqlite(phrase, scope, limit, offset)
    if not ranked.ids:
        return []
    page = (_page_postgres if connection.vendor == "postgresql" else _page_sqlite)(phrase, ranked.ids)
    return [
        Hit(
            kind=page[id_][0],
            object_id=page[id_][1],
            client_id=page[id_][2],
            title=page[id_][3],
            snippet=_markup(page[id_][4] or ""),
            rank=rank,
        )
        for id_, rank in zip(ranked.ids, ranked.ranks, strict=True)
        if id_ in page  # not deleted between the two statements
    ]


def count(text: str, reader: Reader, *, kinds: Collection[str] | None = None, cap: int = CANDIDATE_CAP) -> int:
    """How many entries ``search`` ranks for ``text`` and ``reader`` (all it could return),
    counted up to ``cap`` (at most CANDIDATE_CAP)."""
    terms = parse_terms(text)
    scope = reader_tags(reader, kinds)
    cap = min(cap, CANDIDATE_CAP)
    if not terms or scope is None or cap <= 0:
        return 0
    phrase, postings = _expand(terms)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(
                f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s LIMIT %s)",  # noqa: S608
                [fts_query(phrase, scope), cap],
            )
            return int(cursor.fetchone()[0])
        found = 0

        def attempt(window: str) -> int:
            nonlocal found
            condition, params = _pg_condition(phrase, scope, window)
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM core_searchentry WHERE {condition} LIMIT %s) AS found",  # noqa: S608
                [*params, CANDIDATE_CAP],
            )
            found = int(cursor.fetchone()[0])
            return found

        _pg_candidates(cursor, scope, postings, attempt)
        return min(found, cap)


def _markup(raw: str) -> str:
    """The snippet as safe HTML: escaped text, the database's marks as <mark> (balanced)."""
    out: list[str] = []
    open_mark = False
    for part in re.split("([\x02\x03])", raw):
        if part == _MARK_START:
            if not open_mark:
                out.append("<mark>")
                open_mark = True
        elif part == _MARK_END:
            if open_mark:
                out.append("</mark>")
                open_mark = False
        else:
            out.append(html.escape(part))
    if open_mark:
        out.append("</mark>")
    # Safe by construction: every character of the text went through html.escape.
    return SafeString("".join(out))


# --- SQLite FTS5 -----------------------------------------------------------------------------------


def _fts_string(token: str) -> str:
    return '"' + token.replace('"', '""') + '"'


def _fts_terms(phrase: Phrase) -> str:
    groups = ("(" + " OR ".join(_fts_string(word) for word in words) + ")" for words in phrase)
    return "{title body} : (" + " AND ".join(groups) + ")"


def fts_query(phrase: Phrase, scope: Scope) -> str:
    """The FTS5 expression: every term in the title or body, and the scope's tags."""
    parts = [_fts_terms(phrase)]
    parts += ["tags : (" + " OR ".join(_fts_string(tag) for tag in group) + ")" for group in scope.groups]
    expression = " AND ".join(parts)
    if scope.excluded:
        expression = f"({expression}) NOT tags : (" + " OR ".join(_fts_string(tag) for tag in scope.excluded) + ")"
    return expression


def _rank_sqlite(phrase: Phrase, scope: Scope, limit: int, offset: int) -> _Ranked:
    """The candidates are the newest CANDIDATE_CAP matches: FTS5 walks its doclists by descending
    rowid and stops there. Those with a term in the title come first, newest first, found by a
    second walk over the candidates' rowid range that stops once the page is full (a column
    filter costs no more than the walk); then the others, newest first. (Not bm25: before its
    first row it counts every entry that holds each word and tag of the query — the whole
    doclist of a common word, tens of milliseconds in a million entries.)"""
    expression = fts_query(phrase, scope)
    in_title = "title : (" + " OR ".join(_fts_string(word) for words in phrase for word in words) + ")"
    wanted = offset + limit
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s ORDER BY rowid DESC LIMIT {CANDIDATE_CAP}",  # noqa: S608
            [expression],
        )
        candidates = [id_ for (id_,) in cursor.fetchall()]
        if not candidates:
            return _Ranked(ids=[], ranks=[])
        cursor.execute(
            f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s AND rowid >= %s "  # noqa: S608
            "ORDER BY rowid DESC LIMIT %s",
            [f"({expression}) AND {in_title}", candidates[-1], wanted],
        )
        titled = [id_ for (id_,) in cursor.fetchall()]
    found = [(id_, TITLE + 1 / (2 + position)) for position, id_ in enumerate(titled)]
    if len(titled) < wanted:  # the second walk covered every candidate
        seen = set(titled)
        body = (id_ for id_ in candidates if id_ not in seen)
        found += [(id_, BODY + 1 / (2 + position)) for position, id_ in enumerate(islice(body, wanted - len(found)))]
    page = found[offset:wanted]
    return _Ranked(ids=[id_ for id_, _ in page], ranks=[rank for _, rank in page])


# Snippets come from a private temporary FTS5 table holding the page's entries only: asked about
# a few rowids, the main index would set the query up again for each, while tokenizing a page of
# text costs well under a millisecond. Each page gets its own span of rowids (entry id + a
# multiple of _SNIPPET_SPAN) instead of a DELETE, which would tokenize the rows again; after
# _SNIPPET_PAGES pages the table is made afresh. It lives as long as the connection.
_SNIPPET_TABLE = "core_searchentry_snippet"
_SNIPPET_SPAN = 1 << 40  # more than any entry id
_SNIPPET_PAGES = 64
_SNIPPET_CREATE = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_SNIPPET_TABLE} USING fts5("
    "title, body, tokenize='porter unicode61 remove_diacritics 2')"
)


def _page_sqlite(phrase: Phrase, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    placeholders = ", ".join(["%s"] * len(ids))
    table = f"temp.{_SNIPPET_TABLE}"
    with connection.cursor() as cursor:
        cursor.execute(_SNIPPET_CREATE)
        cursor.execute(f"SELECT rowid FROM {table} ORDER BY rowid DESC LIMIT 1")  # noqa: S608 - a constant
        last = cursor.fetchone()
        base = 0 if last is None else (last[0] // _SNIPPET_SPAN + 1) * _SNIPPET_SPAN
        if base >= _SNIPPET_PAGES * _SNIPPET_SPAN or max(ids) >= _SNIPPET_SPAN:
            cursor.execute(f"DROP TABLE {table}")
            cursor.execute(_SNIPPET_CREATE)
            base = 0
        cursor.execute(
            f"INSERT INTO {table} (rowid, title, body) "  # noqa: S608 - constants only
            f"SELECT id + %s, title, body FROM core_searchentry WHERE id IN ({placeholders})",
            [base, *ids],
        )
        cursor.execute(
            f"SELECT rowid - %s, snippet({_SNIPPET_TABLE}, 1, char(2), char(3), '…', {SNIPPET_WORDS}) "  # noqa: S608
            f"FROM {table} WHERE {_SNIPPET_TABLE} MATCH %s AND rowid >= %s",
            [base, _fts_terms(phrase), base],
        )
        snippets = dict(cursor.fetchall())
        cursor.execute(
            f"SELECT id, kind, object_id, client_id, title FROM core_searchentry WHERE id IN ({placeholders})",  # noqa: S608
            ids,
        )
        return {row[0]: (*row[1:], snippets.get(row[0], "")) for row in cursor.fetchall()}


# --- PostgreSQL ----------------------------------------------------------------------------------


def _ts_terms(phrase: Phrase, weights: str, join: str = " & ") -> str:
    # Words are letters and digits only (parse_terms, _words); quoting keeps it so whatever they hold.
    def lexeme(word: str) -> str:
        return "'" + word.replace("'", "''").replace("\\", "\\\\") + "'" + (":" + weights if weights else "")

    return join.join("(" + " | ".join(lexeme(word) for word in words) + ")" for words in phrase)


def ts_queries(phrase: Phrase, scope: Scope) -> tuple[str, str, str]:
    """The tsquery texts: the terms (title or body, AND), a term in the title, the scope (or '')."""
    conditions = ["(" + " | ".join(f"'{tag}':D" for tag in group) + ")" for group in scope.groups]
    conditions += [f"!'{tag}':D" for tag in scope.excluded]
    return _ts_terms(phrase, "AB"), _ts_terms(phrase, "A", " | "), " & ".join(conditions)


def _pg_condition(phrase: Phrase, scope: Scope, recent: str = "") -> tuple[str, list[str]]:
    """The WHERE clause: the terms and the scope (and ``recent``, a tsquery of bucket tags) in
    one tsquery, so GIN intersects their posting lists."""
    terms_query, _, scope_query = ts_queries(phrase, scope)
    tags = " & ".join(part for part in (scope_query, recent) if part)
    if not tags:
        return "search_vector @@ to_tsquery('english', %s)", [terms_query]
    return "search_vector @@ (to_tsquery('english', %s) && to_tsquery('simple', %s))", [terms_query, tags]


def _pg_window(newest: int, postings: list[int]) -> int:
    """How many of the newest buckets of entries to look at first (0: the whole index at once),
    given the highest id and, for every group of the query (a term's words, a scope's tags),
    about how many entries hold one of them.

    GIN cannot stop early: it gathers every match before the first row. Asked about the whole
    index, it walks the postings of the rarest group and skips through the others: about
    ``min(postings)``. Every entry's vector also holds the tag of its bucket of ids ("r" and the
    id shifted right by RECENT_BUCKET_BITS — migration 0005), so a query can be confined to the
    newest entries, for about ``window × (1 + the groups' shares)``. That is the first look when
    it costs less: when every group of the query is common ("user error update": a quarter of a
    million postings each in a million entries)."""
    if newest < RECENT_MIN_ENTRIES or not postings:
        return 0
    shares = sum(min(max(count, 1), newest) / newest for count in postings)
    if (RECENT_BUCKETS << RECENT_BUCKET_BITS) * (1 + shares) >= min(postings):
        return 0
    return RECENT_BUCKETS


def _pg_candidates(cursor: Any, scope: Scope, terms: list[int | None], attempt: Callable[[str], int]) -> None:
    """Call ``attempt(window)`` — a query for at most CANDIDATE_CAP candidates among the entries
    of ``window``, a tsquery of bucket tags ("" = the whole index), returning how many it found —
    until RECENT_TARGET are found: the newest entries first when _pg_window says so, then a
    window as wide as the density found there says is needed if that still costs less, then the
    whole index."""
    cursor.execute("SELECT max(id) FROM core_searchentry")
    newest = cursor.fetchone()[0] or 0
    postings = [newest if count is None else count for count in terms]
    if scope.groups:
        tags = sorted({tag for group in scope.groups for tag in group})
        cursor.execute(
            "SELECT word, entries FROM core_searchword WHERE word IN (" + ", ".join(["%s"] * len(tags)) + ")",  # noqa: S608
            ["#" + tag for tag in tags],
        )
        known = dict(cursor.fetchall())
        postings += [sum(known.get("#" + tag, 0) for tag in group) for group in scope.groups]
    buckets = _pg_window(newest, postings)
    top, bucket = newest >> RECENT_BUCKET_BITS, 1 << RECENT_BUCKET_BITS
    shares = sum(min(max(count, 1), newest) / newest for count in postings) if newest else 0.0
    while buckets:
        found = attempt("(" + " | ".join(f"'r{b}':D" for b in range(top, top - buckets, -1)) + ")")
        if found >= RECENT_TARGET:
            return
        spanned = newest - ((top - buckets + 1) << RECENT_BUCKET_BITS) + 1
        needed = math.ceil(RECENT_TARGET * 1.5 * spanned / max(found, 1) / bucket) + 1
        wide_enough = found and needed > buckets and needed * bucket * 2 < newest
        buckets = needed if wide_enough and needed * bucket * (1 + shares) < min(postings) else 0
    attempt("")


def _rank_postgres(phrase: Phrase, postings: list[int | None], scope: Scope, limit: int, offset: int) -> _Ranked:
    """At most CANDIDATE_CAP matches (of the newest entries first, see _pg_candidates), ranked by
    tier, then ts_rank (title weight 1, body 0.1): the candidates' vectors are read for the
    recheck anyway."""
    terms_query, in_title, _ = ts_queries(phrase, scope)
    rows: list[tuple[Any, ...]] = []

    def attempt(window: str) -> int:
        nonlocal rows
        condition, condition_params = _pg_condition(phrase, scope, window)
        cursor.execute(
            f"""
            WITH candidates AS (
                SELECT id,
                       CASE WHEN search_vector @@ to_tsquery('english', %s) THEN {TITLE} ELSE {BODY} END AS tier,
                       ts_rank('{PG_RANK_WEIGHTS}', search_vector, to_tsquery('english', %s)) AS score
                FROM core_searchentry WHERE {condition}
                LIMIT {CANDIDATE_CAP}
            )
            SELECT id, tier, score, count(*) OVER () FROM candidates
            ORDER BY tier DESC, score DESC, id DESC LIMIT %s OFFSET %s
            """,  # noqa: S608 - constants only; every text is a parameter
            [in_title, terms_query, *condition_params, limit, offset],
        )
        rows = cursor.fetchall()
        return int(rows[0][3]) if rows else 0

    with connection.cursor() as cursor:
        _pg_candidates(cursor, scope, postings, attempt)
    return _Ranked(
        ids=[row[0] for row in rows],
        ranks=[row[1] + float(row[2]) / (1.0 + float(row[2])) / 2 for row in rows],
    )


_PG_HEADLINE = (
    f"StartSel={_MARK_START}, StopSel={_MARK_END}, MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, "
    'MaxFragments=2, FragmentDelimiter=" … "'
)


def _page_postgres(phrase: Phrase, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    """The page's entries with their headlines: ts_headline reads and parses the whole body, so it
    runs for these rows only."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, object_id, client_id, title, ts_headline('english', body, to_tsquery('english', %s), %s) "
            "FROM core_searchentry WHERE id = ANY(%s)",
            [_ts_terms(phrase, ""), _PG_HEADLINE, ids],
        )
        return {row[0]: row[1:] for row in cursor.fetchall()}
