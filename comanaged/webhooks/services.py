"""Writes of the webhooks app: emitting events, managing endpoints, redelivering.

``emit`` is what other apps call (``from comanaged.webhooks.services import emit``) inside
their own transaction: the deliveries commit with their change, and nothing is sent for a
change that rolls back.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from comanaged.core.crypto import EncryptedTextField, Secret, keyring
from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.services import delete_audited, save_audited
from comanaged.webhooks import delivery as deliveries
from comanaged.webhooks.choices import EVENTS, DeliveryStatus
from comanaged.webhooks.errors import WebhookErrorCode
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint, revealed
from comanaged.webhooks.netguard import validate_webhook_url

MAX_PREVIOUS_SECRET_GRACE = dt.timedelta(days=7)


def emit(event: str, payload: dict[str, Any], *, client_id: int | None) -> None:
    """Send ``event`` with ``payload`` (JSON-serialisable: dates, decimals and UUIDs become
    strings) to every active endpoint subscribed to it — for ``client_id``'s events, the
    endpoints of that client and those of every client. Call it inside the transaction of the
    change: one delivery row per endpoint is written there, and the tasks are queued when it
    commits. Costs one query when no endpoint wants the event."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}; add it to webhooks.choices.EVENTS first")
    scope = Q(client__isnull=True) if client_id is None else Q(client__isnull=True) | Q(client_id=client_id)
    # Events are filtered here, not in SQL: JSON containment is not portable to SQLite.
    endpoint_ids = [
        pk
        for pk, events in WebhookEndpoint.objects.filter(scope, is_active=True).values_list("pk", "events")
        if isinstance(events, list) and event in events
    ]
    if not endpoint_ids:
        return
    data = json.loads(json.dumps(payload, cls=DjangoJSONEncoder))
    now = timezone.now()
    event_id = uuid.uuid4()
    rows = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint_id,
                client_id=client_id,
                event=event,
                event_id=event_id,
                payload=data,
                occurred_at=now,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint_id in endpoint_ids
        ]
    )
    ids = [row.pk for row in rows]

    def queue() -> None:
        for delivery_id in ids:
            deliveries.enqueue(delivery_id)

    transaction.on_commit(queue)


# --- endpoints ---------------------------------------------------------------------------------


def new_secret() -> str:
    """256 random bits, URL-safe text: the HMAC key the endpoint's receiver keeps."""
    return secrets.token_urlsafe(32)


def _sealed(field_name: str, plaintext: str) -> Any:
    """An encrypted value (a ``Secret``) ready to store, so the audit fingerprints the stored
    token. Typed Any: the model stubs see the field as text."""
    field = WebhookEndpoint._meta.get_field(field_name)
    assert isinstance(field, EncryptedTextField)
    return Secret(token=keyring().encrypt(plaintext, field.context), plaintext=plaintext, context=field.context)


def url_problems(endpoint: WebhookEndpoint) -> Iterable[Problem]:
    try:
        validate_webhook_url(endpoint.url)
    except ApplicationError as error:
        return list(error.problems)
    return []


def url_needs_check(endpoint: WebhookEndpoint) -> bool:
    """New endpoints, new URLs and re-enabled endpoints are checked; renaming or disabling one
    whose host no longer resolves must still work (delivery checks again anyway)."""
    if endpoint._state.adding or endpoint.pk is None:
        return True
    stored = WebhookEndpoint.objects.filter(pk=endpoint.pk).values("url", "is_active").first()
    if stored is None:
        return True
    return stored["url"] != endpoint.url or (endpoint.is_active and not stored["is_active"])


def webhook_endpoint_save(*, endpoint: WebhookEndpoint, actor: Any) -> WebhookEndpoint:
    """Create or change an endpoint (a new one gets its signing secret: read it once with
    ``revealed(endpoint.secret)`` to show it). The URL must pass the SSRF rule."""
    if endpoint._state.adding and not endpoint.secret:
        endpoint.secret = _sealed("secret", new_secret())
    # Resolved before the transaction: a slow DNS answer must not hold the database's write lock.
    problems = list(url_problems(endpoint)) if url_needs_check(endpoint) else []
    return save_audited(endpoint, actor=actor, checks=[lambda: problems])


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor: Any) -> None:
    """Delete an endpoint and its delivery history (queued attempts find nothing to send)."""
    delete_audited(endpoint, actor=actor)


def webhook_secret_rotate(
    *, endpoint: WebhookEndpoint, actor: Any, previous_valid_for: dt.timedelta = dt.timedelta(0)
) -> str:
    """Give the endpoint a new signing secret and return it (shown once). For
    ``previous_valid_for`` (at most 7 days) deliveries carry a signature with the old secret too."""
    if not dt.timedelta(0) <= previous_valid_for <= MAX_PREVIOUS_SECRET_GRACE:
        raise ApplicationError(
            "invalid", "The old secret may stay valid for 0 to 168 hours.", field="previous_valid_for_hours"
        )
    plaintext = new_secret()
    with transaction.atomic():
        current = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if previous_valid_for and current.secret is not None:
            endpoint.previous_secret = _sealed("previous_secret", revealed(current.secret))
            endpoint.previous_secret_expires_at = timezone.now() + previous_valid_for
        else:
            endpoint.previous_secret = None
            endpoint.previous_secret_expires_at = None
        endpoint.secret = _sealed("secret", plaintext)
        save_audited(endpoint, actor=actor, action="rotate_secret")
    return plaintext


# --- deliveries --------------------------------------------------------------------------------


def webhook_delivery_redeliver(*, delivery: WebhookDelivery, actor: Any) -> WebhookDelivery:
    """Send a delivery's event again to its endpoint, as a new delivery with the same event id
    (receivers de-duplicate on it) and a fresh retry schedule; the original stays as it was."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        raise ApplicationError(
            WebhookErrorCode.ENDPOINT_INACTIVE, f"{endpoint.name} is disabled; enable it before redelivering."
        )
    now = timezone.now()
    again = WebhookDelivery(
        endpoint=endpoint,
        client_id=delivery.client_id,
        event=delivery.event,
        event_id=delivery.event_id,
        payload=delivery.payload,
        occurred_at=delivery.occurred_at,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        created_at=now,
    )
    with transaction.atomic():
        save_audited(again, actor=actor, action="redeliver", note=f"redelivery of delivery {delivery.pk}")
        transaction.on_commit(lambda: deliveries.enqueue(again.pk))
    return again
