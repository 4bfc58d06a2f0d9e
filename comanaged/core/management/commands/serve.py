"""``comanaged serve``: the embedded mode's web server (gunicorn, static files by whitenoise)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serve comanaged over HTTP with gunicorn (embedded mode)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=2)

    def handle(self, *args: Any, host: str, port: int, workers: int, **options: Any) -> None:
        serve(host=host, port=port, workers=workers)


def serve(*, host: str, port: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from comanaged.wsgi import application

    class Embedded(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 60)

        def load(self) -> Any:
            return application

    Embedded().run()
