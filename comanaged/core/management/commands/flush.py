"""``flush`` that still works with the append-only audit triggers.

Wiping every table (tests between transactional cases, a demo reset) is not an edit of the
log. PostgreSQL flushes with TRUNCATE, which row triggers do not see; SQLite flushes with
DELETE, so its triggers step aside for the duration and come back at once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.commands.flush import Command as FlushCommand
from django.db import connections

from comanaged.core.migrations import _audit_triggers


class Command(FlushCommand):
    def handle(self, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "sqlite":
            return super().handle(**options)
        with connection.cursor() as cursor:
            for statement in _audit_triggers.SQLITE_DOWN:
                cursor.execute(statement)
        try:
            return super().handle(**options)
        finally:
            with connection.cursor() as cursor:
                for statement in _audit_triggers.SQLITE_UP:
                    cursor.execute(statement)
