"""The readable diff between two versions of an article."""

from __future__ import annotations

import pytest

from comanaged.kb.diff import diff_versions

pytestmark = pytest.mark.nodb


def test_changed_words_are_marked_inside_changed_lines():
    diff = diff_versions(
        "VPN", "Open the client\nConnect to vpn1\nDone", "VPN access", "Open the client\nConnect to vpn2\nDone"
    )
    changed = [row for row in diff.rows if row.kind == "replace"]
    assert len(changed) == 1
    assert "<del>vpn1</del>" in changed[0].old_html and "<ins>vpn2</ins>" in changed[0].new_html
    assert diff.title_change == ("VPN", "VPN access") and (diff.added, diff.removed) == (1, 1)


def test_added_and_removed_lines_and_unchanged_runs_are_skipped():
    old = "\n".join(f"line {n}" for n in range(20))
    new = old.replace("line 10", "line ten") + "\nline 20"
    diff = diff_versions("t", old, "t", new)
    kinds = [row.kind for row in diff.rows]
    assert kinds[0] == "skip" and "insert" in kinds and kinds.count("equal") <= 9
    assert not diff_versions("t", old, "t", old).rows and diff_versions("t", old, "t", old).unchanged


def test_markup_in_versions_is_escaped():
    diff = diff_versions("t", "<b>safe</b>", "t", "<script>alert(1)</script>")
    html = "".join(row.old_html + row.new_html for row in diff.rows)
    assert "<script" not in html and "<b>" not in html and "&lt;" in html


def test_a_crafted_pair_of_huge_versions_is_compared_quickly():
    import random
    import time

    rng = random.Random(7)
    words = [f"w{rng.randrange(50)}" for _ in range(30_000)]
    one_line_old, one_line_new = " ".join(words[:15_000]), " ".join(words[15_000:])
    many_old = "\n".join(f"line {rng.randrange(100)}" for _ in range(5_000))
    many_new = "\n".join(f"line {rng.randrange(100)}" for _ in range(5_000))
    started = time.perf_counter()
    assert diff_versions("t", one_line_old, "t", one_line_new).removed == 1
    assert diff_versions("t", many_old, "t", many_new).rows
    # Unbounded, these took minutes (review); a generous bound, as this is a correctness guard.
    assert time.perf_counter() - started < 20
