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
