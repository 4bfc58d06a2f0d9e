"""Outgoing webhooks: the provider's endpoints and each delivery of an event to one of them."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from comanaged.core.crypto import EncryptedTextField, Secret
from comanaged.core.models import TimeStampedModel
from comanaged.tenancy.models import Client
from comanaged.tenancy.scoping import client_scope, is_provider_staff
from comanaged.webhooks.choices import EVENTS, DeliveryStatus
from comanaged.webhooks.errors import WebhookErrorCode


class WebhookEndpointQuerySet(models.QuerySet["WebhookEndpoint"]):
    def for_user(self, user: Any) -> WebhookEndpointQuerySet:
        """Provider staff see endpoints for every client (``client`` empty) and for the clients in
        their scope; a client's people see none (fail-closed). The role table decides the rest."""
        if not is_provider_staff(user):
            return self.none()
        scope = client_scope(user)
        if scope.all_clients:
            return self.all()
        return self.filter(Q(client__isnull=True) | Q(client_id__in=scope.client_ids))


class WebhookEndpoint(TimeStampedModel):
    """A URL of the provider's (a PSA, a chat bridge, an automation) that receives the events it
    subscribed to as signed JSON POSTs. ``client`` narrows it to one client's events; empty
    means every client's. The signing secret is generated here, stored encrypted and shown once
    (at creation and at rotation). After a rotation the previous secret still signs alongside
    the new one until ``previous_secret_expires_at``, so receivers can switch without a gap."""

    name = models.CharField(max_length=100, validators=[ProhibitNullCharactersValidator()])
    # Checked by ``netguard.validate_webhook_url`` (not Django's URLValidator, which refuses the
    # single-label host names of internal receivers that WEBHOOK_ALLOWED_NETWORKS may allow).
    url = models.CharField("URL", max_length=2000, help_text="Where events are POSTed (https in production).")
    secret = EncryptedTextField(editable=False)
    previous_secret = EncryptedTextField(null=True, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(default=list, help_text="Event names this endpoint receives.")
    client = models.ForeignKey(
        Client,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text="Only this client's events; empty for every client.",
    )
    is_active = models.BooleanField(default=True)

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        events = self.events
        if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
            raise ValidationError({"events": ValidationError("Events must be a list of event names.", code="invalid")})
        if not events:
            raise ValidationError(
                {"events": ValidationError("Subscribe to at least one event.", code=WebhookErrorCode.EVENTS_REQUIRED)}
            )
        unknown = [e for e in events if e not in EVENTS]
        if unknown:
            raise ValidationError(
                {
                    "events": ValidationError(
                        f"Unknown event {unknown[0]!r}; choose from {', '.join(EVENTS)}.",
                        code=WebhookErrorCode.UNKNOWN_EVENT,
                    )
                }
            )
        self.events = sorted(set(events), key=EVENTS.index)

    def signing_secrets(self, *, at: Any = None) -> list[str]:
        """The secrets that sign a delivery now: the current one, then the previous one while
        its grace period lasts."""
        secrets = [revealed(self.secret)] if self.secret else []
        at = at or timezone.now()
        expires = self.previous_secret_expires_at
        if self.previous_secret is not None and expires is not None and expires > at:
            secrets.append(revealed(self.previous_secret))
        return secrets


def revealed(value: object) -> str:
    """The plaintext of an encrypted field's value (typed: the stubs see a text field)."""
    if isinstance(value, Secret):
        return value.reveal()
    return "" if value is None else str(value)


class WebhookDeliveryQuerySet(models.QuerySet["WebhookDelivery"]):
    def for_user(self, user: Any) -> WebhookDeliveryQuerySet:
        return self.filter(endpoint__in=WebhookEndpoint.objects.for_user(user))


class WebhookDelivery(models.Model):
    """One event sent (or to be sent) to one endpoint, with its retry state.

    The body is rebuilt from these fields on every attempt, so a retry sends the same bytes
    under a fresh signature timestamp. ``event_id`` is shared by every endpoint's delivery of
    one event and by redeliveries: receivers de-duplicate on it. Telemetry, not audit: rows are
    written by the worker, except a redelivery, which is a person's act and audited."""

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    client = models.ForeignKey(
        Client, null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="The event's client."
    )
    event = models.CharField(max_length=64)
    event_id = models.UUIDField(default=uuid.uuid4, db_index=True)
    payload = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, help_text="When the event happened (in the body).")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text="When the worker may send it next (also its claim)."
    )
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    last_response = models.CharField(max_length=500, blank=True, help_text="The start of the last response body.")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhooks_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"
