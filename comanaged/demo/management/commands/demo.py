"""``comanaged demo``: migrate the embedded SQLite database, seed it, print the log-ins, serve."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from comanaged.core.crypto import keyring
from comanaged.core.management.commands.serve import serve
from comanaged.demo.seed import DEMO_TOTP_SECRET, demo_logins


class Command(BaseCommand):
    help = "Run the demo: migrate, seed demo data and serve on http://127.0.0.1:8000."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--no-serve", action="store_true", help="Prepare everything but do not serve.")

    def handle(self, *args: Any, port: int, host: str, no_serve: bool, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        keyring()  # creates var/keys/secrets.keys on the first run
        call_command("seed_demo")
        base = f"http://{host}:{port}"
        if "SITE_URL" not in os.environ:  # links in the demo's e-mails open this server
            settings.SITE_URL = os.environ["SITE_URL"] = base
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"comanaged demo — {base}/"))
        self.stdout.write(f"Database: {settings.DATABASES['default']['NAME']}")
        self.stdout.write("Demo log-ins (all share one password):")
        for role, email, password in demo_logins():
            self.stdout.write(f"  {role:<32} {email:<40} {password}")
        self.stdout.write(
            f"Staff use two-factor codes: add the secret {DEMO_TOTP_SECRET} to an authenticator app,\n"
            "or run `.venv/bin/comanaged demo-code` for the current code."
        )
        self.stdout.write(f"API docs: {base}/api/docs · health: {base}/health")
        self.stdout.write("")
        if not no_serve:
            serve(host=host, port=port, workers=2, with_worker=True)
