"""``comanaged serve``: the embedded mode — the web server (gunicorn, static files by whitenoise)
with the background worker and the periodic scheduler beside it, stopped together."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve comanaged over HTTP with gunicorn, plus a background worker (embedded mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2, help="Web worker processes.")
        parser.add_argument("--no-worker", action="store_true", help="Do not start a background worker.")

    def handle(self, *args: Any, host: str, port: int, workers: int, no_worker: bool, **options: Any) -> None:
        serve(host=host, port=port, workers=workers, with_worker=not no_worker)


def start_worker() -> list[subprocess.Popen[bytes]]:
    """The background worker and the periodic scheduler, as child processes."""
    return [
        subprocess.Popen([sys.executable, "-m", "comanaged.cli", "worker"]),
        subprocess.Popen([sys.executable, "-m", "comanaged.cli", "scheduler"]),
    ]


def serve(*, host: str, port: int, workers: int, with_worker: bool = True) -> None:
    from gunicorn.app.base import BaseApplication

    from comanaged.wsgi import application

    background = start_worker() if with_worker else []

    def stop_background(_server: Any) -> None:
        for process in background:
            if process.poll() is None:
                process.terminate()
        for process in background:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()

    class Embedded(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 60)
            self.cfg.set("on_exit", stop_background)

        def load(self) -> Any:
            return application

    try:
        Embedded().run()
    finally:
        stop_background(None)
