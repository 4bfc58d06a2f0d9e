"""Full-text search (core.search): what a query finds, in what order, for whom — the same on
SQLite FTS5 and PostgreSQL — and that no text a person types can break it."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from comanaged.core import search
from comanaged.core.models import SearchEntry, SearchWord
from comanaged.core.search import Audience, Entry, Reader

pytestmark = pytest.mark.django_db

STAFF = Reader(client_ids=None, min_audience=Audience.STAFF)


def poc(*client_ids: int, provider_wide: bool = True) -> Reader:
    return Reader(client_ids=frozenset(client_ids), min_audience=Audience.CLIENT, include_provider_wide=provider_wide)


def end_user(client_id: int) -> Reader:
    return Reader(client_ids=frozenset({client_id}), min_audience=Audience.END_USERS)


def entry(
    object_id: int,
    title: str,
    body: str = "",
    *,
    client_id: int | None = 1,
    kind: str = "article",
    audience=Audience.END_USERS,
) -> Entry:
    return Entry(kind=kind, object_id=object_id, client_id=client_id, audience=audience, title=title, body=body)


def found(text: str, reader: Reader = STAFF, **options) -> list[tuple[str, int]]:
    return [(hit.kind, hit.object_id) for hit in search.search(text, reader, **options)]


def ids(text: str, reader: Reader = STAFF, **options) -> set[int]:
    return {object_id for _, object_id in found(text, reader, **options)}


# --- Terms -----------------------------------------------------------------------------------------


def test_parse_terms_keeps_words_only():
    assert search.parse_terms('"printer" OR (vpn* AND -outlook) NEAR/3 title:x') == [
        "printer",
        "vpn",
        "outlook",
        "near",
        "3",
        "title",
        "x",
    ]
    assert search.parse_terms("'; DROP TABLE core_searchentry; --") == ["drop", "table", "core", "searchentry"]
    assert search.parse_terms("Ｐｒｉｎｔｅｒ ﬁle café") == ["printer", "file", "café"]  # NFKC, lower case
    assert search.parse_terms("the printer is on the desk") == ["printer", "desk"]  # stop words, as PostgreSQL
    assert search.parse_terms("") == []
    assert search.parse_terms("  *** -- \\ \x00 🔥🖨️ ( ) : ' \" ") == []
    assert search.parse_terms("the and or not") == []


def test_parse_terms_bounds_the_number_and_length_of_terms():
    terms = search.parse_terms(" ".join(f"word{i}" for i in range(50)))
    assert terms == [f"word{i}" for i in range(search.MAX_TERMS)]
    assert search.parse_terms("x" * 10_000) == ["x" * search.MAX_TERM_LENGTH]
    assert search.parse_terms("vpn vpn VPN") == ["vpn"]


# --- Matching and ranking --------------------------------------------------------------------------


def test_every_term_is_a_prefix_all_terms_must_match_and_words_are_stemmed():
    search.index(entry(1, "Printer offline on the second floor", "The print queue is stuck."))
    search.index(entry(2, "VPN drops every hour", "The client reconnects to the firewall."))
    search.index(entry(3, "Printers and VPN", "Both at once."))
    assert ids("prin") == {1, 3}  # prefix
    assert ids("printers") == {1, 3}  # stemming: printers → printer
    assert ids("printer") == {1, 3}
    assert ids("reconnecting") == {2}  # reconnects ~ reconnecting
    assert ids("printer vpn") == {3}  # AND
    assert ids("PRINTER   Vpn!!") == {3}
    assert ids("firew clie") == {2}
    assert ids("printer firewall") == set()
    assert ids("nothing-like-this") == set()


def test_title_matches_rank_above_body_only_matches():
    search.index(entry(1, "Firewall rules", "Backup backup backup backup backup of the firewall config."))
    search.index(entry(2, "Backup schedule", "When the nightly job runs."))
    search.index(entry(3, "Mailbox quotas", "A backup is kept for thirty days."))
    search.index(entry(4, "Backup and restore of backups", "Backup. Backups."))
    hits = search.search("backup", STAFF)
    assert {h.object_id for h in hits[:2]} == {2, 4}  # title hits first, whatever the body says
    assert {h.object_id for h in hits[2:]} == {1, 3}
    assert all(1 < h.rank <= 1.5 for h in hits[:2]) and all(0 < h.rank <= 0.5 for h in hits[2:])
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)


def test_with_several_terms_any_of_them_in_the_title_ranks_above_none():
    search.index(entry(1, "Nightly job", "The backup of the mailbox failed."))
    search.index(entry(2, "Mailbox backup failed", "Nightly."))
    search.index(entry(3, "Mailbox full", "The backup failed."))
    search.index(entry(4, "Quota", "The mailbox backup."))
    search.index(entry(5, "Backup job", "The mailbox."))
    hits = search.search("mailbox backup", STAFF)
    assert {h.object_id for h in hits[:3]} == {2, 3, 5}
    assert {h.object_id for h in hits[3:]} == {1, 4}
    assert [int(h.rank) for h in hits] == [1, 1, 1, 0, 0]


def test_a_prefix_stands_for_the_words_of_the_index_that_start_with_it():
    search.index(entry(1, "Printing stopped", "The spooler hangs."))
    search.index(entry(2, "Printer offline", "Toner low."))
    search.index(entry(3, "Principal access", "Service principals."))
    assert ids("prin") == {1, 2, 3}
    assert ids("printi") == {1}  # "printing" — and its stem "print", not "printer"
    assert ids("print") == {1, 2}
    assert ids("spool toner") == set()
    assert ids("spool") == {1}
    assert ids("t") == set()  # one letter: only the word "t"
    assert search.expand(["prin", "t"]) == (("prin", "principal", "principals", "printer", "printing"), ("t",))


def test_a_short_prefix_stands_for_its_most_common_completions_only():
    entries = []
    for i in range(search.MAX_EXPANSIONS + 10):
        word = f"zq{i:02d}word"
        entries += [entry(i * 100 + n, f"Note {word}") for n in range(1 + i)]  # zq39word is the most common
    search.index_many(entries)
    (words,) = search.expand(["zq"])
    assert words[0] == "zq"
    assert list(words[1:]) == [f"zq{i:02d}word" for i in range(search.MAX_EXPANSIONS + 9, 9, -1)]
    assert found("zq00word")  # a whole word is always itself


def test_limit_offset_and_count():
    search.index_many(entry(i, f"Outlook profile {i}", "outlook crashes") for i in range(1, 31))
    first = found("outlook", limit=10)
    second = found("outlook", limit=10, offset=10)
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    assert len(found("outlook", limit=1000)) == 30  # capped at MAX_LIMIT, which is more than 30
    assert search.count("outlook", STAFF) == 30
    assert search.count("outlook", STAFF, cap=5) == 5
    assert search.count("", STAFF) == 0
    assert found("outlook", limit=0) == []


def test_kinds_restrict_the_kind_of_entry_and_must_be_well_formed():
    search.index(entry(1, "Laptop setup", kind="article"))
    search.index(entry(1, "Laptop inventory", kind="document"))
    search.index(entry(1, "Laptop broken", kind="ticket", audience=Audience.STAFF))
    search.index(entry(2, "Laptop sleeve", kind="environment_doc"))
    assert set(found("laptop")) == {("article", 1), ("document", 1), ("ticket", 1), ("environment_doc", 2)}
    assert set(found("laptop", kinds=["article", "document"])) == {("article", 1), ("document", 1)}
    assert set(found("laptop", kinds={"environment_doc"})) == {("environment_doc", 2)}
    assert found("laptop", kinds=[]) == []
    assert search.count("laptop", STAFF, kinds=["ticket"]) == 1
    with pytest.raises(TypeError, match="collection of kinds"):
        search.search("laptop", STAFF, kinds="article")
    for bad in ("Article", "a-b", "x" * 21, "", "k'); --"):
        with pytest.raises(ValueError, match="search kind"):
            search.search("laptop", STAFF, kinds=[bad])
        with pytest.raises(ValueError, match="search kind"):
            search.index(entry(9, "Laptop", kind=bad))


# --- Hostile input -----------------------------------------------------------------------------

HOSTILE = [
    '"',
    '"printer',
    "printer*",
    "*",
    "-printer",
    "printer NEAR vpn",
    "NEAR(printer vpn, 2)",
    "printer OR vpn",
    "printer AND",
    "AND OR NOT",
    "(((printer",
    "printer)",
    "title:printer",
    "tags:c1v0",
    "{title body}: printer",
    "o'brien",
    "printer\\",
    "\\'",
    "print\x00er",
    "\x02printer\x03",
    "🖨️ printer 🔥",
    "printer & vpn | !outlook <-> x:*",
    "'printer':*A",
    "x" * 10_000,
    "printer " * 2_000,
    "'; DROP TABLE core_searchentry; --",
    "1' OR '1'='1",
    "%s %(x)s %%",
    "\ud800 printer",
    "ｐｒｉｎｔｅｒ",
    "^printer$",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_text_breaks_the_query(text):
    search.index(entry(1, "Printer offline", "VPN and Outlook"))
    hits = search.search(text, STAFF)
    assert search.count(text, STAFF) == len(hits)
    assert all(h.object_id == 1 for h in hits)
    search.search(text, poc(1), kinds=["article"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_any_text_is_a_query_or_nothing(text):
    search.search(text, STAFF)
    search.search(text, poc(1, 2))
    search.count(text, end_user(3))


def test_typed_tags_match_nothing_they_are_not_words_in_the_text():
    search.index(entry(1, "Printer", client_id=5))
    search.index(entry(2, "Printer", client_id=None))
    for tag in ("c5v1", "c5v0", "cgv2", "v1", "karticle0", "cg"):
        assert found(tag) == []
        assert found(f"printer {tag}", poc(5)) == []


# --- Tenancy ------------------------------------------------------------------------------------


def test_a_reader_never_finds_another_clients_entries_among_many_clients_and_common_words():
    """GUIDE convention 3: tenancy fails closed inside the index query itself."""
    clients = range(1, 41)
    entries = []
    for client in clients:
        for level in Audience:
            object_id = client * 10 + level
            text = f"printer vpn outlook backup firewall secret{client}x{level}"
            entries.append(entry(object_id, f"Printer guide {client}", text, client_id=client, audience=level))
    for level in Audience:
        entries.append(
            entry(9000 + level, "Printer policy", "printer vpn for everyone", client_id=None, audience=level)
        )
    assert search.index_many(entries, batch_size=7) == len(entries)

    for client in clients:
        own = {client * 10 + Audience.CLIENT, client * 10 + Audience.END_USERS}
        provider = {9000 + Audience.CLIENT, 9000 + Audience.END_USERS}
        assert ids("printer vpn", poc(client), limit=100) == own | provider
        assert search.count("printer vpn", poc(client)) == len(own | provider)
        assert ids("printer", poc(client, provider_wide=False), limit=100) == own
        assert ids("printer", end_user(client), limit=100) == {client * 10 + 2, 9002}
        # another client's own words find nothing, not even a count
        other = clients[client % len(clients)]
        assert found(f"secret{other}x2", poc(client)) == []
        assert search.count(f"secret{other}x2", poc(client)) == 0
        assert found(f"secret{client}x0", poc(client)) == []  # staff-only entry of its own client

    # a staff member restricted to some clients
    restricted = Reader(client_ids=frozenset({3, 7}), min_audience=Audience.STAFF)
    hits = search.search("printer", restricted, limit=100)
    assert {h.client_id for h in hits} == {3, 7, None}
    assert len(hits) == 3 + 3 + 3
    # global staff: everything
    assert search.count("printer", STAFF) == len(entries)


def test_readers_of_every_client_are_bounded_by_audience_and_provider_wide():
    search.index(entry(1, "Router", client_id=1, audience=Audience.STAFF))
    search.index(entry(2, "Router", client_id=2, audience=Audience.CLIENT))
    search.index(entry(3, "Router", client_id=3, audience=Audience.END_USERS))
    search.index(entry(4, "Router", client_id=None, audience=Audience.STAFF))
    search.index(entry(5, "Router", client_id=None, audience=Audience.END_USERS))
    every = Reader(client_ids=None, min_audience=Audience.STAFF)
    assert ids("router", every) == {1, 2, 3, 4, 5}
    assert ids("router", Reader(client_ids=None, min_audience=Audience.STAFF, include_provider_wide=False)) == {1, 2, 3}
    assert ids("router", Reader(client_ids=None, min_audience=Audience.CLIENT)) == {2, 3, 5}
    assert ids("router", Reader(client_ids=None, min_audience=Audience.END_USERS, include_provider_wide=False)) == {3}
    assert ids("router", Reader(client_ids=frozenset(), min_audience=Audience.STAFF)) == {4, 5}
    assert ids("router", Reader(client_ids=frozenset(), min_audience=Audience.END_USERS)) == {5}


def test_a_reader_who_may_see_nothing_gets_nothing_without_a_query(django_assert_num_queries):
    search.index(entry(1, "Printer", client_id=None))
    nobody = Reader(client_ids=frozenset(), min_audience=Audience.STAFF, include_provider_wide=False)
    with django_assert_num_queries(0):
        assert search.search("printer", nobody) == []
        assert search.count("printer", nobody) == 0
        assert search.search("the", STAFF) == []  # nothing searchable
        assert search.search("printer", STAFF, kinds=()) == []


# --- Snippets --------------------------------------------------------------------------------------


def test_the_snippet_is_escaped_html_with_only_the_matches_marked():
    search.index(
        entry(1, "<script>alert(1)</script> Printer", 'Restart the <b>printer</b> & "spooler" <script>x()</script>')
    )
    (hit,) = search.search("printer", STAFF)
    assert hit.title == "<script>alert(1)</script> Printer"  # plain text: templates escape it
    assert "<mark>printer</mark>" in hit.snippet and "&amp;" in hit.snippet and "&quot;spooler" in hit.snippet
    text = hit.snippet.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in text and ">" not in text and '"' not in text
    assert re.fullmatch(r"([^&]|&(amp|lt|gt|quot|#x27);)*", text)
    # SQLite keeps the tags as escaped text; PostgreSQL's parser drops them from its headlines
    assert "&lt;script&gt;" in hit.snippet or "script" not in hit.snippet


def test_the_snippet_marks_prefix_and_stemmed_matches_and_private_marks_in_text_are_removed():
    search.index(entry(1, "Spooler", "The printers \x02stopped\x03 printing after \x00 the update."))
    (hit,) = search.search("prin", STAFF)
    assert "<mark>printers</mark>" in hit.snippet and "<mark>printing</mark>" in hit.snippet
    assert "<mark>stopped</mark>" not in hit.snippet and "\x02" not in hit.snippet
    assert "\x00" not in SearchEntry.objects.get().body


def test_a_title_only_hit_has_a_snippet_of_the_body():
    search.index(entry(1, "Firewall", "Rules are reviewed every quarter."))
    (hit,) = search.search("firewall", STAFF)
    assert "Rules are reviewed" in hit.snippet and "<mark>" not in hit.snippet


def test_snippets_stay_right_over_many_searches_on_one_connection(monkeypatch):
    monkeypatch.setattr(search, "_SNIPPET_PAGES", 2)  # the private snippet table is made afresh often
    search.index(entry(1, "Printer", "the printer jams"))
    search.index(entry(2, "Scanner", "the scanner jams"))
    for _ in range(5):
        for word, other in (("printer", "scanner"), ("scanner", "printer")):
            (hit,) = search.search(word, STAFF)
            assert f"<mark>{word}</mark>" in hit.snippet and other not in hit.snippet


# --- Keeping the index in step ---------------------------------------------------------------------


def test_index_twice_updates_the_entry():
    search.index(entry(1, "Printer offline", "toner", client_id=1))
    search.index(entry(1, "Scanner offline", "glass", client_id=2, audience=Audience.CLIENT))
    assert SearchEntry.objects.count() == 1
    assert found("printer") == [] and found("toner") == []
    assert ids("scanner glass") == {1}
    assert ids("scanner", poc(2)) == {1} and ids("scanner", poc(1)) == set()
    assert ids("scanner", end_user(2)) == set()  # its audience changed too
    search.index(entry(1, "Scanner offline", "glass", client_id=2, audience=Audience.CLIENT))  # unchanged
    assert ids("scanner") == {1}
    _index_is_consistent()


def test_unindex_removes_the_entry():
    search.index(entry(1, "Printer offline"))
    search.index(entry(1, "Printer offline", kind="ticket"))
    search.unindex("article", 1)
    search.unindex("article", 99)  # nothing there: nothing happens
    assert found("printer") == [("ticket", 1)]
    assert search.count("printer", STAFF) == 1
    _index_is_consistent()


def test_index_many_upserts_in_batches_and_reports_progress():
    search.index(entry(1, "Old title"))
    progress: list[int] = []
    written = search.index_many(
        [entry(1, "Printer one"), entry(2, "Printer two"), entry(2, "Printer two repeated"), entry(3, "Vpn")],
        batch_size=3,
        on_progress=progress.append,
    )
    assert written == 3 and progress == [2, 3]  # the repeated entry 2 counts once; last one wins
    assert SearchEntry.objects.count() == 3
    assert found("old") == []
    assert ids("printer") == {1, 2}
    assert [h.title for h in search.search("repeated", STAFF)] == ["Printer two repeated"]
    assert search.index_many(iter([]), batch_size=10) == 0
    _index_is_consistent()


def test_long_and_odd_text_is_indexed():
    search.index(entry(1, "T" * 1_000, "printer " + "word " * 30_000 + "\ud800 tail"))
    assert ids("printer") == {1}
    assert ids("tail") == {1}
    assert len(SearchEntry.objects.get().title) == search.TITLE_MAX_CHARS


def test_entries_are_validated():
    with pytest.raises(ValueError, match="is not a valid Audience"):
        search.index(entry(1, "x", audience=7))
    with pytest.raises(TypeError):
        search.index(entry("1", "x"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        search.search("x", Reader(client_ids=frozenset({"1"}), min_audience=Audience.STAFF))  # type: ignore[arg-type]
    assert SearchEntry.objects.count() == 0


def _skip_ids(count: int) -> None:
    """Make the next entry's id ``count`` more than the highest, as if many had come between."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM core_searchentry")
        start = cursor.fetchone()[0] + count
        if connection.vendor == "sqlite":
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'core_searchentry'")
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('core_searchentry', %s)", [start])
        else:
            cursor.execute("SELECT setval(pg_get_serial_sequence('core_searchentry', 'id'), %s)", [start])


BUCKET = 2**search.RECENT_BUCKET_BITS


def test_the_newest_entries_are_the_candidates_of_a_common_query_and_older_ones_are_still_found(monkeypatch):
    """PostgreSQL asks the newest buckets of entries first when the words are common (_pg_window
    decides; here it is told to), the whole index when they hold too few; SQLite walks newest
    first. Either way: the same answers."""
    monkeypatch.setattr(search, "_pg_window", lambda newest, postings: search.RECENT_BUCKETS)
    monkeypatch.setattr(search, "RECENT_MIN_ENTRIES", 0)
    monkeypatch.setattr(search, "RECENT_TARGET", 5)
    search.index(entry(1, "Printer from long ago", "ancient", client_id=7))
    search.index(entry(2, "Router from long ago", "ancient", client_id=7))
    _skip_ids(search.RECENT_BUCKETS * BUCKET * 4)
    recent = [entry(100 + i, f"Printer {i}", "toner", client_id=i % 5) for i in range(search.CANDIDATE_CAP + 50)]
    recent += [entry(5000 + i, f"Router {i}", "toner", client_id=i % 5) for i in range(3)]
    search.index_many(recent, batch_size=500)
    assert search.count("printer", STAFF) == search.CANDIDATE_CAP
    hits = search.search("printer", STAFF, limit=100)
    assert len(hits) == 100 and 1 not in {h.object_id for h in hits}
    assert ids("router", STAFF) == {2, 5000, 5001, 5002}  # three recent: too few, the whole index
    assert ids("ancient printer") == {1}
    assert search.count("ancient", STAFF) == 2
    assert ids("ancient", poc(7)) == {1, 2} and ids("ancient", poc(8)) == set()
    assert {h.client_id for h in search.search("printer", poc(3), limit=100)} == {3}


def test_a_window_too_narrow_for_the_target_is_widened_to_the_density_it_found(monkeypatch):
    monkeypatch.setattr(search, "RECENT_MIN_ENTRIES", 0)
    monkeypatch.setattr(search, "RECENT_TARGET", 5)
    gateways: list[int] = []
    for bucket in range(30):  # two matches a bucket of ids
        for n in range(2):
            search.index(entry(bucket * 10 + n, f"Gateway {bucket}", "firewall"))
            gateways.append(bucket * 10 + n)
        _skip_ids(BUCKET)
    SearchWord.objects.filter(word="gateway").update(entries=10**7)  # "a common word"
    hits = search.search("gateway", STAFF, limit=100)
    assert len(hits) >= 5 and {h.object_id for h in hits} <= set(gateways)
    assert search.count("gateway", STAFF) == len(hits)
    if connection.vendor == "postgresql":  # the newest, from a window of a few buckets
        assert len(hits) < 20 and min(h.object_id for h in hits) > 200


def test_the_newest_entries_are_asked_first_only_when_every_group_of_the_query_is_common():
    million = 1_000_000
    assert search._pg_window(million, [250_000, 250_000, 250_000]) == search.RECENT_BUCKETS
    assert search._pg_window(million, [60_000]) == search.RECENT_BUCKETS
    assert search._pg_window(million, [250_000, 5_000]) == 0  # a rare word: the whole index is cheap
    assert search._pg_window(million, [250_000, 250_000, 8_000]) == 0  # a client's tag is rare
    assert search._pg_window(50_000, [25_000, 25_000]) == 0  # a small index
    assert search._pg_window(million, [1, 1]) == 0
    assert search._pg_window(million, []) == 0


def _index_is_consistent() -> None:
    """SQLite: the FTS5 index matches its content table; PostgreSQL: the vector is generated."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            table = search.FTS_TABLE
            cursor.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")  # noqa: S608
        else:
            cursor.execute("SELECT count(*) FROM core_searchentry WHERE search_vector IS NULL")
            assert cursor.fetchone()[0] == 0
