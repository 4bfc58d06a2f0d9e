"""``comanaged worker``: run background tasks from the database queue, with a heartbeat."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_tasks_db.management.commands.db_worker import Worker

from comanaged.core.worker import Heartbeat, new_worker_id


class Command(BaseCommand):
    help = "Run the background worker (tasks from the database queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--queues", default="*", help="Comma-separated queue names, or * for all.")
        parser.add_argument("--interval", type=float, default=1.0, help="Seconds between polls when idle.")
        parser.add_argument("--batch", action="store_true", help="Exit once the queue is empty.")
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(
        self, *args: Any, queues: str, interval: float, batch: bool, max_tasks: int | None, **options: Any
    ) -> None:
        worker_id = new_worker_id()
        heartbeat = Heartbeat(worker_id)
        heartbeat.beat()
        heartbeat.start()
        worker = Worker(
            queue_names=queues.split(","),
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            heartbeat.stop()
