"""Writing the audit log: snapshots of a model row, the diff between two, one entry per write.

Services call :func:`record` inside their transaction, so a refused write leaves no entry and
an accepted one always has its entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.db import models

from comanaged.core.crypto import TOKEN_PREFIX, EncryptedTextField
from comanaged.core.models import AuditEntry

REDACTED = "[secret]"
# Never copied into the log in clear, whatever the model.
REDACTED_FIELDS = frozenset({"password"})
Snapshot = dict[str, Any]


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool | dict):
        return value
    return str(value)


def snapshot(instance: models.Model) -> Snapshot:
    """The row's concrete fields and many-to-many ids, secrets redacted."""
    data: Snapshot = {}
    for field in instance._meta.concrete_fields:
        if isinstance(field, models.GeneratedField):
            continue  # derived by the database from fields already recorded
        if isinstance(field, EncryptedTextField) or field.name in REDACTED_FIELDS:
            stored = field.value_from_object(instance)
            # A password column holds a salted hash already; an encrypted one may hold plaintext.
            data[field.name] = _secret_fingerprint(stored, at_rest=not isinstance(field, EncryptedTextField))
            continue
        data[field.attname if field.is_relation else field.name] = _plain(field.value_from_object(instance))
    if instance.pk is not None:
        for m2m in instance._meta.many_to_many:
            related = getattr(instance, m2m.name).all()
            data[m2m.name] = sorted(obj.pk for obj in related)
    for key in ("created_at", "updated_at"):
        data.pop(key, None)
    return data


def _secret_fingerprint(stored: Any, *, at_rest: bool = False) -> str | None:
    """Never the value, but enough for a change to show: a digest of the *ciphertext* token when
    the row holds one (random per encryption, so it tells nothing about the secret), and a bare
    marker for a value just assigned, whose plaintext must not be hashed (an unsalted digest of a
    weak password can be confirmed offline)."""
    if not stored:
        return None
    if at_rest or (isinstance(stored, str) and stored.startswith(f"{TOKEN_PREFIX}.")):
        return f"{REDACTED} {hashlib.sha256(str(stored).encode()).hexdigest()[:10]}"
    return f"{REDACTED} set"


def diff(before: Snapshot | None, after: Snapshot | None) -> dict[str, list[Any]]:
    """Fields whose value differs, as ``{field: [before, after]}``."""
    before = before or {}
    after = after or {}
    changes: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key), after.get(key)
        if old != new:
            changes[key] = [old, new]
    return changes


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    return str(getattr(actor, "email", "") or actor)


def record(
    *,
    actor: Any,
    action: str,
    instance: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    client_id: int | None = None,
    before: Snapshot | None = None,
    after: Snapshot | None = None,
    changes: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    """Append one audit entry. ``actor`` is a user, or ``None`` for the system itself."""
    if instance is not None:
        object_type = object_type or instance._meta.label_lower
        object_id = object_id or str(instance.pk)
        object_label = object_label or str(instance)[:255]
        if client_id is None:
            client_id = _client_id_of(instance)
    if changes is None:
        changes = diff(before, after)
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label(actor),
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_label=object_label,
        client_id=client_id,
        changes=changes,
        note=note,
    )


def _client_id_of(instance: models.Model) -> int | None:
    """The tenant a row belongs to, when it has one: its ``client_id``, or itself for a client."""
    if instance._meta.label_lower == "tenancy.client":
        return int(instance.pk) if instance.pk is not None else None
    client_id = getattr(instance, "client_id", None)
    return int(client_id) if client_id is not None else None
