"""Rows of the response clock: one clock per escalation, its events, its two timers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from comanaged.agreements.choices import Priority
from comanaged.tenancy.models import Client, StaffProfile, Vertical


class ClockState(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    MISSED = "missed", "Missed"
    EXCLUDED = "excluded", "Excluded"  # no respond target applies (R18, R19, not covered)
    CANCELLED = "cancelled", "Cancelled"  # closed before any response and before its deadline


OPEN_STATES = (ClockState.RUNNING, ClockState.PAUSED)


class ResponseClock(models.Model):
    """One escalation's respond clock. A reopened ticket escalated again gets a new one; the
    terms (target, calendar, VIP) are re-read whenever an input of them changes, always from
    ``started_at``, the escalation."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="clocks")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="+")
    sequence = models.PositiveSmallIntegerField(default=1)
    is_current = models.BooleanField(default=True)
    started_at = models.DateTimeField()
    priority = models.CharField(max_length=2, choices=Priority.choices, blank=True)
    vip = models.BooleanField(default=False)
    vertical = models.ForeignKey(Vertical, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    target_seconds = models.PositiveIntegerField(null=True, blank=True)
    business_hours = models.BooleanField(default=False)
    warning_percent = models.PositiveSmallIntegerField(default=75)
    state = models.CharField(max_length=12, choices=ClockState.choices, default=ClockState.RUNNING)
    # Why no target applies (R18, R19, a verdict other than covered): code, message and rules.
    exclusion = models.JSONField(default=dict, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(StaffProfile, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Business seconds from escalation to the response, pauses left out: the time to respond.
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["ticket", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "sequence"], name="clock_unique_sequence"),
            models.UniqueConstraint(
                fields=["ticket"], condition=models.Q(is_current=True), name="clock_one_current_per_ticket"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "started_at"], name="clock_client_started"),
            models.Index(fields=["started_at"], name="clock_started"),  # a period over every client
            # The SLA page's "at risk now": running clocks by deadline.
            models.Index(fields=["due_at"], name="clock_running_due", condition=models.Q(state="running")),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} clock {self.sequence}: {self.state}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class ClockEvent(models.Model):
    """What happened to a clock and why, so every attainment figure is explained."""

    clock = models.ForeignKey(ResponseClock, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    kind = models.CharField(max_length=24)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%Y-%m-%d %H:%M}"


class TimerKind(models.TextChoices):
    WARNING = "warning", "Warning"
    BREACH = "breach", "Breach"


class ClockTimer(models.Model):
    """A warning or a breach due at ``fire_at``; the scheduler fires it once (``fired_at``).
    ``fire_at`` is empty while the clock is paused."""

    clock = models.ForeignKey(ResponseClock, on_delete=models.CASCADE, related_name="timers")
    kind = models.CharField(max_length=8, choices=TimerKind.choices)
    fire_at = models.DateTimeField(null=True, blank=True)
    fired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["fire_at", "id"]
        constraints = [models.UniqueConstraint(fields=["clock", "kind"], name="timer_unique_kind")]
        # The sweep and the "due soon" questions read pending timers only, by time.
        indexes = [
            models.Index(
                fields=["fire_at", "id"],
                name="timer_pending_fire_at",
                condition=models.Q(fired_at__isnull=True, fire_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} at {self.fire_at}"
