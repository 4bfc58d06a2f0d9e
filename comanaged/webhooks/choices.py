"""The events an endpoint may subscribe to, and the states of a delivery."""

from __future__ import annotations

from django.db import models

# The fixed set of event names; apps emit only these (``services.emit`` refuses others).
EVENTS: tuple[str, ...] = (
    "ticket.created",
    "ticket.updated",
    "ticket.escalated",
    "ticket.sla_warning",
    "ticket.sla_breached",
)


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # not attempted yet (or handed back for redelivery)
    FAILED = "failed", "Failed, will retry"  # the last attempt failed; next_attempt_at says when
    SUCCEEDED = "succeeded", "Succeeded"  # a 2xx answer: never sent again
    DEAD = "dead", "Dead"  # every attempt failed (or the endpoint was disabled): no more retries


# States the worker may still send from.
SENDABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
