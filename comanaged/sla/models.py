"""Response-time terms of an agreement (R16, R9, R13): the target per priority, the VIP target,
an optional resolution target, and which clock measures them."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from comanaged.agreements.choices import Priority
from comanaged.agreements.models import Agreement
from comanaged.tenancy.models import Client, ClientOwnedModel

MAX_TARGET_MINUTES = 30 * 24 * 60
MINUTES = [MinValueValidator(1), MaxValueValidator(MAX_TARGET_MINUTES)]


class Clock(models.TextChoices):
    AROUND_THE_CLOCK = "24x7", "Around the clock (24×7)"  # R13, the default
    BUSINESS_HOURS = "business_hours", "The client's business hours"


class ResponseTarget(ClientOwnedModel):
    """One priority's terms on one agreement; a priority without a row uses the R16 default."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="response_targets")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="response_targets")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    respond_minutes = models.PositiveIntegerField(validators=MINUTES, help_text="The contractual respond target.")
    vip_respond_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=MINUTES, help_text="For a VIP affected person (R9); empty: the same."
    )
    resolve_minutes = models.PositiveIntegerField(
        null=True, blank=True, validators=MINUTES, help_text="Optional; tracked, not contractual."
    )
    clock = models.CharField(max_length=16, choices=Clock.choices, default=Clock.AROUND_THE_CLOCK)

    class Meta:
        ordering = ["agreement", "priority"]
        constraints = [models.UniqueConstraint(fields=["agreement", "priority"], name="response_target_unique")]

    def __str__(self) -> str:
        return f"{self.priority}: respond in {self.respond_minutes} min"


class BreachAction(models.TextChoices):
    """What the desk does besides telling the dispatcher and the advisor when a target is missed."""

    NOTIFY = "notify", "Notify only"
    RAISE_TIER = "raise_tier", "Raise the ticket one tier"
    RETURN_TO_QUEUE = "return_to_queue", "Unassign it back to the dispatch queue"


class ResponseTerms(ClientOwnedModel):
    """How an agreement's response clock behaves beyond the targets: when it warns, whether
    waiting on the client or the vendor pauses it, and what a breach sets off. An agreement
    without a row uses the defaults (warn at 75 %, no pauses, notify only)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="response_terms")
    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="response_terms")
    warning_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Warn when this share of the target has elapsed.",
    )
    pause_waiting_on_client = models.BooleanField(
        default=False, help_text="The clock stops while the desk waits on the client."
    )
    pause_waiting_on_vendor = models.BooleanField(
        default=False, help_text="The clock stops while the desk waits on the vendor."
    )
    breach_action = models.CharField(max_length=20, choices=BreachAction.choices, default=BreachAction.NOTIFY)

    class Meta:
        verbose_name_plural = "response terms"

    def __str__(self) -> str:
        return f"warn at {self.warning_percent}%"
