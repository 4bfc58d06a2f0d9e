"""``comanaged webhooks-retry-due``: queue again the webhook deliveries whose task went missing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from comanaged.webhooks.delivery import retry_due


class Command(BaseCommand):
    help = "Queue again overdue webhook deliveries (a worker died mid-send, or the queue was wiped)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args: Any, limit: int, **options: Any) -> None:
        queued = retry_due(limit=limit)
        self.stdout.write(f"{queued} overdue deliveries queued again.")
