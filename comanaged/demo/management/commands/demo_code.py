"""``comanaged demo-code``: the current TOTP code of the demo staff (demo and development only)."""

from __future__ import annotations

from typing import Any

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from comanaged.demo.seed import DEMO_TOTP_SECRET


def current_code(secret: str = DEMO_TOTP_SECRET) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo staff accounts."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            raise CommandError("demo-code is for the demo only.")
        self.stdout.write(current_code())
