"""Template context every page needs."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def provider(request: HttpRequest) -> dict[str, Any]:
    from comanaged.tenancy.models import ProviderSettings

    return {"provider_name": ProviderSettings.load().name}
