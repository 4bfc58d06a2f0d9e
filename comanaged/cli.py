"""The ``comanaged`` command: Django's management commands, plus ``demo``, ``serve``,
``seed-demo`` and ``secret-keys``. Command names may use dashes (``seed-demo``)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
        if argv[1] in ("demo", "demo_code"):
            # The demo (and its sign-in code, which it tells people to ask for this way) is the
            # one mode that may run without configuration.
            os.environ.setdefault("COMANAGED_MODE", "demo")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "comanaged.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
