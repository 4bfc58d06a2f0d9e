"""A readable diff between two versions of an article: side by side, line by line, with the
changed words marked inside changed lines (like a code review). Everything is escaped here;
the template prints the fragments as they are."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_WORDS = re.compile(r"\s+|\w+|[^\w\s]")
CONTEXT = 3
# SequenceMatcher is quadratic in the worst case; a crafted pair of versions must not hold a
# worker for minutes. Past these sizes a line is shown whole (no word marks), and past the line
# limit lines are matched with difflib's junk heuristic, which stays fast on any input.
WORD_DIFF_MAX_TOKENS = 400
EXACT_LINES_MAX = 2_000


@dataclass(frozen=True)
class DiffRow:
    """One row of the side-by-side table. ``kind``: equal, replace, delete, insert, or skip (a
    run of unchanged lines left out)."""

    kind: str
    old_number: int | None
    old_html: SafeString
    new_number: int | None
    new_html: SafeString


@dataclass(frozen=True)
class Diff:
    rows: tuple[DiffRow, ...]
    added: int
    removed: int
    title_change: tuple[str, str] | None

    @property
    def unchanged(self) -> bool:
        return not self.added and not self.removed and self.title_change is None


def _words(old: str, new: str) -> tuple[SafeString, SafeString]:
    a, b = _WORDS.findall(old), _WORDS.findall(new)
    if len(a) > WORD_DIFF_MAX_TOKENS or len(b) > WORD_DIFF_MAX_TOKENS:
        return _line(old), _line(new)
    left: list[str] = []
    right: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        old_part, new_part = escape("".join(a[i1:i2])), escape("".join(b[j1:j2]))
        if op == "equal":
            left.append(old_part)
            right.append(new_part)
            continue
        if old_part:
            left.append(f"<del>{old_part}</del>")
        if new_part:
            right.append(f"<ins>{new_part}</ins>")
    return mark_safe("".join(left)), mark_safe("".join(right))  # noqa: S308 - every part escaped above


def _line(text: str) -> SafeString:
    return mark_safe(escape(text))  # noqa: S308 - escaped


def diff_versions(old_title: str, old_body: str, new_title: str, new_body: str, *, context: int = CONTEXT) -> Diff:
    old_lines, new_lines = old_body.splitlines(), new_body.splitlines()
    rows: list[DiffRow] = []
    added = removed = 0
    exact = len(old_lines) + len(new_lines) <= EXACT_LINES_MAX
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=not exact)
    for group_index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if group_index or group[0][1] > 0:
            rows.append(DiffRow("skip", None, _line(""), None, _line("")))
        for op, i1, i2, j1, j2 in group:
            if op == "equal":
                rows.extend(
                    DiffRow("equal", i + 1, _line(old_lines[i]), j + 1, _line(new_lines[j]))
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
            elif op == "replace":
                pairs = max(i2 - i1, j2 - j1)
                for k in range(pairs):
                    i, j = i1 + k, j1 + k
                    old = old_lines[i] if i < i2 else None
                    new = new_lines[j] if j < j2 else None
                    if old is not None and new is not None:
                        left, right = _words(old, new)
                        rows.append(DiffRow("replace", i + 1, left, j + 1, right))
                    elif old is not None:
                        rows.append(DiffRow("delete", i + 1, _line(old), None, _line("")))
                    else:
                        rows.append(DiffRow("insert", None, _line(""), j + 1, _line(new or "")))
                removed += i2 - i1
                added += j2 - j1
            elif op == "delete":
                rows.extend(DiffRow("delete", i + 1, _line(old_lines[i]), None, _line("")) for i in range(i1, i2))
                removed += i2 - i1
            else:
                rows.extend(DiffRow("insert", None, _line(""), j + 1, _line(new_lines[j])) for j in range(j1, j2))
                added += j2 - j1
    title_change = (old_title, new_title) if old_title != new_title else None
    return Diff(rows=tuple(rows), added=added, removed=removed, title_change=title_change)
