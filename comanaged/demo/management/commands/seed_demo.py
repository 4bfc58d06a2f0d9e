"""``comanaged seed-demo``: create the demo provider, staff and clients (idempotent)."""

from __future__ import annotations

from typing import IO, Any, cast

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from comanaged.demo.seed import Seeder, seed_summary


class Command(BaseCommand):
    help = "Seed realistic demo data (safe to run again: creates only what is missing)."

    def handle(self, *args: Any, **options: Any) -> None:
        console = Console(file=cast(IO[str], self.stdout), force_terminal=False)
        with Progress(
            TextColumn("[bold]Seeding[/] {task.description:<40}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            console=console,
        ) as progress:
            task = progress.add_task("", total=Seeder.steps())

            def step(name: str) -> None:
                progress.update(task, description=name)
                progress.advance(task)

            created = Seeder(on_step=step).run()
        summary = ", ".join(f"{count} {name}" for name, count in seed_summary().items())
        self.stdout.write(f"Demo data ready: {created} rows created ({summary}).")
