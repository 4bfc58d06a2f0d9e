"""``comanaged search-reindex``: rebuild the search index of articles, documents and tickets.

Writes keep the index in step on their own; this is for a restore from backup, a change of
the index's definition, or a suspicion. Entries of objects that no longer exist are removed.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from comanaged.core.models import SearchEntry
from comanaged.kb.indexing import ARTICLE, DOCUMENT, TICKET, all_entries
from comanaged.kb.models import Article, Document
from comanaged.tickets.models import Ticket


class Command(BaseCommand):
    help = "Rebuild the full-text search index (articles, documents, tickets)."

    def handle(self, *args: Any, **options: Any) -> None:
        from comanaged.core import search

        total = Article.objects.count() + Document.objects.count() + Ticket.objects.count()
        with Progress(
            TextColumn("Indexing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=False
        ) as progress:
            task = progress.add_task("index", total=total)
            written = search.index_many(all_entries(), on_progress=lambda done: progress.update(task, completed=done))
        stale = 0
        kept: tuple[tuple[str, Any], ...] = (
            (ARTICLE, Article.objects.values("pk")),
            (DOCUMENT, Document.objects.values("pk")),
            (TICKET, Ticket.objects.values("pk")),
        )
        for kind, ids in kept:
            stale += SearchEntry.objects.filter(kind=kind).exclude(object_id__in=ids).delete()[0]
        self.stdout.write(f"Indexed {written:,} objects; removed {stale:,} stale entries.")
