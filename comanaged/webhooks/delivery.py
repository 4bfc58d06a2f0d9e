"""Sending one delivery: claim it, sign it, POST it, record the outcome, schedule the retry.

Safe to run any number of times for the same delivery: the claim is a conditional UPDATE
(``status`` still sendable and ``next_attempt_at`` due), which moves ``next_attempt_at`` a lease
ahead and counts the attempt — a second worker, a duplicate task or a late retry finds nothing
to claim, and a delivery that succeeded is never sent again. Should a worker die mid-send, the
lease runs out and :func:`retry_due` hands the delivery to the queue again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
from typing import Any

from django.db.models import F
from django.utils import timezone

from comanaged.core.crypto import SecretDecryptionError
from comanaged.core.errors import ApplicationError
from comanaged.webhooks import transport
from comanaged.webhooks.choices import SENDABLE, DeliveryStatus
from comanaged.webhooks.models import WebhookDelivery
from comanaged.webhooks.netguard import validate_webhook_url
from comanaged.webhooks.signing import SIGNATURE_HEADER, signature_header

logger = logging.getLogger(__name__)

USER_AGENT = "comanaged-webhooks/1"
MAX_ATTEMPTS = 8
# The wait after the n-th failed attempt (n = 1…7); the 8th failure makes the delivery dead.
RETRY_DELAYS = (
    dt.timedelta(seconds=30),
    dt.timedelta(minutes=2),
    dt.timedelta(minutes=10),
    dt.timedelta(hours=1),
    dt.timedelta(hours=6),
    dt.timedelta(hours=12),
    dt.timedelta(hours=24),
)
JITTER = 0.2  # ± 20 %, so endpoints that failed together do not retry together
# How long a claimed delivery stays claimed: longer than one attempt can take.
CLAIM_LEASE = dt.timedelta(seconds=transport.TOTAL_TIMEOUT * 6)
# retry_due() only picks up deliveries overdue by this much: their own task had its chance.
OVERDUE_AFTER = dt.timedelta(minutes=5)


def backoff(attempts: int, *, jitter: bool = True) -> dt.timedelta:
    """The wait before the next attempt after ``attempts`` failed ones."""
    delay = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
    if jitter:
        delay *= random.uniform(1 - JITTER, 1 + JITTER)
    return delay


def body_of(delivery: WebhookDelivery) -> bytes:
    """The request body: the same bytes on every attempt of a delivery."""
    document = {
        "id": str(delivery.event_id),
        "event": delivery.event,
        "created_at": delivery.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "data": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def headers_of(delivery: WebhookDelivery, body: bytes, secrets: list[str]) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Comanaged-Event": delivery.event,
        "X-Comanaged-Delivery": str(delivery.event_id),
        SIGNATURE_HEADER: signature_header(secrets, body),
    }


def claim(delivery_id: int, *, now: dt.datetime | None = None) -> WebhookDelivery | None:
    """Take a due, sendable delivery for one attempt (counted now), or None."""
    now = now or timezone.now()
    claimed = WebhookDelivery.objects.filter(pk=delivery_id, status__in=SENDABLE, next_attempt_at__lte=now).update(
        attempts=F("attempts") + 1, next_attempt_at=now + CLAIM_LEASE
    )
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()


def attempt_delivery(delivery_id: int) -> str:
    """One attempt at delivering; returns the delivery's status afterwards ("skipped" when
    there was nothing to claim)."""
    delivery = claim(delivery_id)
    if delivery is None:
        return "skipped"
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        outcome = transport.Outcome(status_code=None, error="The endpoint is disabled.")
        return _record(delivery, outcome, give_up=True)
    try:
        target = validate_webhook_url(endpoint.url)  # again: DNS may have changed since it was saved
        secrets = endpoint.signing_secrets()
    except ApplicationError as error:
        outcome = transport.Outcome(status_code=None, error=error.message)
    except SecretDecryptionError as error:
        outcome = transport.Outcome(status_code=None, error=f"The signing secret cannot be read: {error}")
    else:
        body = body_of(delivery)
        outcome = transport.post(target, body, headers_of(delivery, body, secrets))
    return _record(delivery, outcome)


def _record(delivery: WebhookDelivery, outcome: transport.Outcome, *, give_up: bool = False) -> str:
    now = timezone.now()
    fields: dict[str, Any] = {
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
        "last_response": outcome.snippet[:500],
    }
    if outcome.ok:
        fields.update(status=DeliveryStatus.SUCCEEDED, delivered_at=now, next_attempt_at=None)
    elif give_up or delivery.attempts >= MAX_ATTEMPTS:
        fields.update(status=DeliveryStatus.DEAD, next_attempt_at=None)
    else:
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=now + backoff(delivery.attempts))
    # Only the holder of this attempt's claim writes its outcome.
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(**fields)
    if fields["status"] == DeliveryStatus.FAILED:
        enqueue(delivery.pk, run_after=fields["next_attempt_at"])
    if not outcome.ok:
        logger.info(
            "webhook delivery %s attempt %s failed: %s", delivery.pk, delivery.attempts, outcome.error or "no answer"
        )
    return str(fields["status"])


def enqueue(delivery_id: int, *, run_after: dt.datetime | None = None) -> None:
    """Put one delivery on the ``webhooks`` queue (deferred to ``run_after``)."""
    from comanaged.webhooks.tasks import deliver_webhook

    task = deliver_webhook.using(run_after=run_after) if run_after is not None else deliver_webhook
    task.enqueue(delivery_id=delivery_id)


def retry_due(*, limit: int = 500) -> int:
    """Queue again the deliveries whose time has come but whose task went missing (a worker
    died, or the queue was wiped); safe to run as often as you like. Returns how many."""
    cutoff = timezone.now() - OVERDUE_AFTER
    ids = list(
        WebhookDelivery.objects.filter(status__in=SENDABLE, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in ids:
        enqueue(delivery_id)
    return len(ids)
