"""Webhook signatures, Stripe-style: ``X-Comanaged-Signature: t=<unix time>,v1=<hex HMAC>``.

The HMAC is SHA-256, keyed with the endpoint's secret, over ``f"{t}.{body}"`` — the timestamp,
a dot, and the raw request body exactly as received. During a secret rotation's grace period a
header carries one ``v1=`` per valid secret; a receiver accepts the request when any of them
matches. Checking ``t`` against the receiver's clock (± ``tolerance``) stops replays of an old
request. ``verify_signature`` is the reference implementation (see docs/webhooks.md).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable

SIGNATURE_HEADER = "X-Comanaged-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300  # seconds


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secrets: str | Iterable[str], body: bytes, *, timestamp: int | None = None) -> str:
    """The header value signing ``body`` with each of ``secrets`` at ``timestamp`` (now by default)."""
    if isinstance(secrets, str):
        secrets = [secrets]
    t = int(time.time()) if timestamp is None else int(timestamp)
    return ",".join([f"t={t}", *(f"{SCHEME}={_mac(secret, t, body)}" for secret in secrets)])


def verify_signature(
    secret: str,
    header: str,
    body: bytes | str,
    tolerance: int = DEFAULT_TOLERANCE,
    *,
    now: float | None = None,
) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` and its timestamp is within
    ``tolerance`` seconds of ``now``. Malformed headers are simply False."""
    if isinstance(body, str):
        body = body.encode()
    timestamp: int | None = None
    candidates: list[str] = []
    for part in (header or "").split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif key == SCHEME:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    return any(hmac.compare_digest(expected.encode(), candidate.encode()) for candidate in candidates)
