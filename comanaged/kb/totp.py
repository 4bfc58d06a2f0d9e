"""RFC 6238 one-time codes from a stored seed, so a technician reads the current code instead of
the seed itself (the seed never leaves the vault once saved)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import time
from urllib.parse import parse_qs, urlsplit

STEP = 30
DIGITS = 6


def normalise_seed(text: str) -> str:
    """A base32 seed from what people paste: the seed (spaces, lower case) or an otpauth:// URI.
    Raises ValueError when it is neither."""
    text = text.strip()
    if text.lower().startswith("otpauth://"):
        secret = parse_qs(urlsplit(text).query).get("secret", [""])[0]
        text = secret
    seed = "".join(text.split()).upper().rstrip("=")
    if not 16 <= len(seed) <= 128:
        raise ValueError("A TOTP seed is 16 to 128 base32 characters (or an otpauth:// link).")
    try:
        base64.b32decode(seed + "=" * (-len(seed) % 8))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("A TOTP seed is base32 (letters A–Z and digits 2–7).") from exc
    return seed


def code(seed: str, at: float | None = None) -> tuple[str, int]:
    """The code valid at ``at`` (now) and the seconds it stays valid."""
    now = time.time() if at is None else at
    key = base64.b32decode(seed + "=" * (-len(seed) % 8))
    counter = int(now // STEP)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS), STEP - int(now % STEP)
