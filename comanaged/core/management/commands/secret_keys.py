"""``comanaged secret-keys init|rotate|status``: the keys that encrypt secrets at rest."""

from __future__ import annotations

import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import Progress

from comanaged.core import audit
from comanaged.core.crypto import encrypted_fields, key_file, key_id, keyring, new_key, rewrap_all, write_key_file


class Command(BaseCommand):
    help = "Create, rotate or inspect the key-encryption keys of secrets at rest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            choices=["init", "rotate", "rewrap", "status"],
            help="init: create the key file; rotate: add a new primary key and re-wrap every secret; "
            "rewrap: re-wrap with the current primary key (after changing COMANAGED_SECRETS_KEYS); "
            "status: list key ids.",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:

        if action in {"init", "rotate"} and os.environ.get("COMANAGED_SECRETS_KEYS"):
            raise CommandError(
                "Keys come from COMANAGED_SECRETS_KEYS: put a new key first in that variable, "
                "then run `comanaged secret-keys rewrap`."
            )
        path = key_file()
        if action == "init":
            if path.exists():
                raise CommandError(f"{path} exists already; use `rotate` to add a new key.")
            write_key_file([new_key()])
            self.stdout.write(f"Created {path} (back it up: without it, secrets cannot be read).")
        elif action in {"rotate", "rewrap"}:
            if action == "rotate":
                existing = path.read_text().split() if path.exists() else []
                write_key_file([new_key(), *existing])
            total = sum(model._base_manager.count() for model, _ in encrypted_fields())
            with Progress() as progress:
                task = progress.add_task("Re-wrapping data keys", total=total or 1)
                counts = rewrap_all(on_progress=lambda: progress.advance(task))
            audit.record(
                actor=None,
                action="secrets_rotated",
                object_type="core.keyring",
                object_id=keyring().primary_id,
                changes={"rewrapped": counts},
            )
            self.stdout.write(f"New primary key {keyring().primary_id}; re-wrapped {sum(counts.values())} secrets.")
        else:
            ring = keyring()
            self.stdout.write(f"{len(ring.keys)} key(s); primary {ring.primary_id}")
            for key in ring.keys[1:]:
                self.stdout.write(f"  older key {key_id(key)}")
