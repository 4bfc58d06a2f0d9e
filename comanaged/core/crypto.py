"""Secrets at rest: envelope encryption with key-encryption keys held outside the database.

Each value gets its own random 256-bit data key (AES-256-GCM). The data key is wrapped by the
newest key-encryption key (KEK) of the keyring. The keyring comes from ``COMANAGED_SECRETS_KEYS``
(comma-separated, newest first) or else from the key file (``var/keys/secrets.keys`` by default:
one key a line, newest first), which is generated on first use outside production.

Rotation adds a new KEK at the head of the keyring and re-wraps every data key with it; the
ciphertexts of the values themselves do not change. Token format::

    env1.<kek id>.<b64 wrap nonce + wrapped data key>.<b64 nonce + ciphertext>

The model label and field name are bound into the ciphertext as associated data, so a token
copied into another field or model does not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

TOKEN_PREFIX = "env1"  # noqa: S105 - a format tag, not a password
MASK = "••••••••"


class SecretDecryptionError(Exception):
    """A token that no key of the keyring opens (wrong key, tampering, wrong field)."""


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def key_id(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:12]


@dataclass(frozen=True)
class Keyring:
    """KEKs, newest first; the first one wraps new data keys."""

    keys: tuple[bytes, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ImproperlyConfigured("the secrets keyring is empty")
        for key in self.keys:
            if len(key) != 32:
                raise ImproperlyConfigured("each secrets key must be 32 bytes (base64-encoded)")

    @property
    def primary_id(self) -> str:
        return key_id(self.keys[0])

    def by_id(self, kid: str) -> bytes:
        for key in self.keys:
            if key_id(key) == kid:
                return key
        raise SecretDecryptionError(f"no key {kid} in the keyring")

    def encrypt(self, plaintext: str, context: str) -> str:
        data_key = AESGCM.generate_key(bit_length=256)
        nonce = os.urandom(12)
        ciphertext = AESGCM(data_key).encrypt(nonce, plaintext.encode(), context.encode())
        return f"{self._wrap(data_key, self.keys[0])}.{_b64e(nonce + ciphertext)}"

    def decrypt(self, token: str, context: str) -> str:
        data_key, body = self._unwrap(token)
        raw = _b64d(body)
        try:
            return AESGCM(data_key).decrypt(raw[:12], raw[12:], context.encode()).decode()
        except InvalidTag as exc:
            raise SecretDecryptionError("secret does not decrypt in this context") from exc

    def rewrap(self, token: str) -> str:
        """The same secret with its data key wrapped by the primary KEK."""
        data_key, body = self._unwrap(token)
        return f"{self._wrap(data_key, self.keys[0])}.{body}"

    def needs_rewrap(self, token: str) -> bool:
        return token.split(".")[1] != self.primary_id

    def _wrap(self, data_key: bytes, kek: bytes) -> str:
        kid = key_id(kek)
        nonce = os.urandom(12)
        wrapped = AESGCM(kek).encrypt(nonce, data_key, kid.encode())
        return f"{TOKEN_PREFIX}.{kid}.{_b64e(nonce + wrapped)}"

    def _unwrap(self, token: str) -> tuple[bytes, str]:
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != TOKEN_PREFIX:
            raise SecretDecryptionError("not an encrypted secret token")
        _, kid, wrapped, body = parts
        raw = _b64d(wrapped)
        try:
            data_key = AESGCM(self.by_id(kid)).decrypt(raw[:12], raw[12:], kid.encode())
        except InvalidTag as exc:
            raise SecretDecryptionError("data key does not unwrap") from exc
        return data_key, body


def new_key() -> str:
    return _b64e(secrets.token_bytes(32))


def _parse_keys(lines: list[str]) -> Keyring:
    return Keyring(tuple(_b64d(line.strip()) for line in lines if line.strip()))


def key_file() -> Path:
    return Path(settings.SECRETS_KEY_FILE)


@lru_cache(maxsize=1)
def keyring() -> Keyring:
    """The configured keyring (cached; :func:`reset_keyring` after changing it)."""
    from_env = os.environ.get("COMANAGED_SECRETS_KEYS", "")
    if from_env.strip():
        return _parse_keys(from_env.split(","))
    path = key_file()
    if not path.exists():
        if getattr(settings, "PRODUCTION", False):
            raise ImproperlyConfigured(
                f"No secrets keys: set COMANAGED_SECRETS_KEYS or run `comanaged secret-keys init` to create {path}"
            )
        write_key_file([new_key()])
    return _parse_keys(path.read_text().splitlines())


def reset_keyring() -> None:
    keyring.cache_clear()


def write_key_file(keys: list[str]) -> None:
    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(keys) + "\n")
    tmp.chmod(0o600)
    tmp.replace(path)
    reset_keyring()


class Secret:
    """A secret value that never prints itself: ``reveal()`` is the one explicit way out."""

    __slots__ = ("_context", "_plaintext", "_token")

    def __init__(self, *, token: str | None = None, plaintext: str | None = None, context: str = ""):
        self._token = token
        self._plaintext = plaintext
        self._context = context

    @property
    def token(self) -> str | None:
        return self._token

    def reveal(self) -> str:
        if self._plaintext is None:
            if self._token is None:
                return ""
            self._plaintext = keyring().decrypt(self._token, self._context)
        return self._plaintext

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        return "<Secret: hidden>"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Secret):
            return self.reveal() == other.reveal()
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._token)


class EncryptedTextField(models.TextField):
    """A text column holding an envelope-encrypted token; Python sees a :class:`Secret`.

    Assign a ``str`` to set a new value. Saving a row without touching the field keeps the
    stored token as it is. In forms, an empty input keeps the current value.
    """

    def contribute_to_class(self, cls: type[models.Model], name: str, *args: Any, **kwargs: Any) -> None:
        super().contribute_to_class(cls, name, *args, **kwargs)
        self.context = f"{cls._meta.label_lower}.{name}"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Secret | None:
        if value is None or value == "":
            return None
        return Secret(token=value, context=self.context)

    def to_python(self, value: Any) -> Any:
        if value is None or isinstance(value, Secret):
            return value
        return str(value)

    def get_prep_value(self, value: Any) -> str | None:
        if value is None or value == "":
            return None
        if isinstance(value, Secret):
            if value.token is not None:
                return value.token
            value = value.reveal()
        return keyring().encrypt(str(value), self.context)

    def value_from_object(self, obj: models.Model) -> Any:
        # Never hand the plaintext to a form or serializer by accident.
        value = getattr(obj, self.attname)
        return value.token if isinstance(value, Secret) else value

    def save_form_data(self, instance: models.Model, data: Any) -> None:
        if data in (None, ""):
            return  # blank input keeps the current secret
        setattr(instance, self.name, data)

    def formfield(self, **kwargs: Any) -> Any:
        from django import forms

        defaults: dict[str, Any] = {
            "form_class": forms.CharField,
            "required": False,
            "widget": forms.PasswordInput(render_value=False),
            "help_text": "Stored encrypted. Leave blank to keep the current value.",
        }
        defaults.update(kwargs)
        defaults["widget"] = forms.PasswordInput(render_value=False)
        return super().formfield(**defaults)

    def get_lookup(self, lookup_name: str) -> Any:
        if lookup_name != "isnull":
            return None  # encrypted values cannot be searched or compared
        return super().get_lookup(lookup_name)


def encrypted_fields() -> list[tuple[type[models.Model], EncryptedTextField]]:
    from django.apps import apps

    return [
        (model, field)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def rewrap_all(on_progress: Any = None) -> dict[str, int]:
    """Re-wrap every stored data key with the primary KEK. Returns counts per model field."""
    ring = keyring()
    counts: dict[str, int] = {}
    for model, field in encrypted_fields():
        done = 0
        rows = model._base_manager.exclude(**{f"{field.attname}__isnull": True})
        for pk, secret in rows.values_list("pk", field.attname).iterator():
            token = secret.token if isinstance(secret, Secret) else secret
            if token and ring.needs_rewrap(token):
                # A column update, not a model save: rotation is not a change of the value.
                model._base_manager.filter(pk=pk).update(**{field.attname: Secret(token=ring.rewrap(token))})
                done += 1
            if on_progress:
                on_progress()
        counts[field.context] = done
    return counts
