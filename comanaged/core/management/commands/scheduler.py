"""``comanaged scheduler``: run the periodic jobs, one scheduler at a time (database lease)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from comanaged.core import scheduler


class Command(BaseCommand):
    help = "Run the periodic jobs under a database lease (another scheduler takes over if this one dies)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Take the lease, run what is due, and exit.")
        parser.add_argument("--tick", type=float, default=scheduler.TICK_SECONDS, help="Seconds between ticks.")
        parser.add_argument(
            "--lease-seconds",
            type=int,
            default=scheduler.LEASE_SECONDS,
            help="How long the lease outlives a scheduler that stops renewing it (tests use a short one).",
        )

    def handle(self, *args: Any, once: bool, tick: float, lease_seconds: int, **options: Any) -> None:
        if once:
            holder = scheduler.new_holder()
            if scheduler.acquire(holder, seconds=lease_seconds):
                ran = scheduler.run_due()
                scheduler.release(holder)
                self.stdout.write(f"Ran: {', '.join(ran) or 'nothing due'}.")
            else:
                self.stdout.write("Another scheduler holds the lease; nothing run.")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"Scheduler running jobs: {', '.join(scheduler.registered()) or 'none'}.")
        scheduler.loop(stop, tick=tick, lease_seconds=lease_seconds)
