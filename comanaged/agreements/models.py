"""The co-managed contract: agreements, their listed applications, and vendor/OEM coverage."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models.functions import Lower

from comanaged.agreements.choices import (
    DEFAULT_COVERED_DEVICE_CLASSES,
    AgreementStatus,
    BackupService,
    CoverageKind,
    DeviceClass,
    Plan,
)
from comanaged.core.crypto import EncryptedTextField
from comanaged.core.models import HttpsURLField
from comanaged.tenancy.models import Client, ClientOwnedModel, Person, Site, StaffProfile, Vertical

ZERO = Decimal("0")


def money(**kwargs: object) -> models.DecimalField:
    """A money column: Decimal with cents, never negative."""
    return models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(ZERO)],
        **kwargs,  # type: ignore[arg-type]
    )


def default_covered_device_classes() -> list[str]:
    return list(DEFAULT_COVERED_DEVICE_CLASSES)


class Agreement(ClientOwnedModel):
    """A client's co-managed agreement: plan (R1), seats and fees (R2, R6), backup (R3),
    designated advisors (R5), listed applications (R19), covered devices (R22), supported
    offices (R26) and the provisioning rate card (R23).

    Draft while it is negotiated; ``agreement_activate`` is the one way to make it active and
    refuses it while anything the contract needs is missing.
    """

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="agreements")
    reference = models.CharField(max_length=32, unique=True, editable=False)
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.CO_MANAGED)
    vertical = models.ForeignKey(
        Vertical,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
        help_text="Set for a vertical offer (R1): adds a vertical SA and a vertical desk (R12).",
    )
    status = models.CharField(
        max_length=12, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT, editable=False
    )
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True, editable=False)
    terminated_at = models.DateTimeField(null=True, blank=True, editable=False)
    termination_reason = models.CharField(max_length=300, blank=True, editable=False)

    signatory = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signed_agreements",
        help_text="The client's person who signed the agreement.",
    )

    # Seats and fees (R2, R6): two POCs are included, every further one is billed.
    included_pocs = models.PositiveSmallIntegerField("included POCs", default=2)
    extra_poc_monthly_fee = money(
        verbose_name="extra POC monthly fee", null=True, blank=True, help_text="Per POC beyond the included ones (R2)."
    )
    end_user_monthly_fee = money(verbose_name="end-user monthly fee", null=True, blank=True)
    vip_monthly_fee = money(verbose_name="VIP monthly fee", null=True, blank=True)
    partial_monthly_fee = money(null=True, blank=True)
    email_only_monthly_fee = money(verbose_name="email-only monthly fee", null=True, blank=True)

    # R3: required backup add-on, priced per client.
    backup_service = models.CharField(max_length=20, choices=BackupService.choices, blank=True)
    backup_monthly_price = money(null=True, blank=True)

    # R5: designated advisors.
    strategic_advisor = models.ForeignKey(
        StaffProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="advised_agreements"
    )
    technology_alignment_engineer = models.ForeignKey(
        StaffProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="aligned_agreements"
    )

    # Scope (R22, R26).
    covered_device_classes = models.JSONField(default=default_covered_device_classes, blank=True)
    supported_offices = models.ManyToManyField(
        Site,
        blank=True,
        related_name="supporting_agreements",
        through="SupportedOffice",
        help_text="Offices where on-site support is given (R26).",
    )

    # R23 provisioning rate card, per workstation.
    provisioning_standard_remote = money(default=Decimal("150.00"))
    provisioning_standard_on_site = money(default=Decimal("550.00"))
    provisioning_non_standard_remote = money(default=Decimal("400.00"))
    provisioning_non_standard_on_site = money(default=Decimal("700.00"))

    # R11 (configurable): does one absent POC out of several open the coverage window?
    one_absent_poc_opens_coverage = models.BooleanField(
        "one absent POC opens coverage",
        default=False,
        help_text="Co-managed+: open end-user coverage when any POC is absent, not only when all are.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["client", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"], condition=models.Q(status="active"), name="one_active_agreement_per_client"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(starts_on__isnull=True)
                | models.Q(starts_on__lte=models.F("ends_on")),
                name="agreement_starts_before_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.client} ({self.get_plan_display()})"

    @property
    def is_vertical(self) -> bool:
        return self.vertical_id is not None

    @property
    def covered_device_labels(self) -> list[str]:
        return [DeviceClass(code).label for code in self.covered_device_classes or [] if code in DeviceClass.values]

    def clean(self) -> None:
        errors: dict[str, str] = {}
        unknown = sorted(set(self.covered_device_classes or []) - set(DeviceClass.values))
        if not isinstance(self.covered_device_classes, list):
            errors["covered_device_classes"] = "Covered device classes must be a list."
        elif unknown:
            errors["covered_device_classes"] = f"Unknown device classes: {', '.join(unknown)}."
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "The agreement cannot end before it starts."
        if self.strategic_advisor_id and not self.strategic_advisor.has_role("strategic_advisor"):  # type: ignore[union-attr]
            errors["strategic_advisor"] = f"{self.strategic_advisor} is not a Strategic Advisor."
        elif (
            self.strategic_advisor_id
            and self.vertical_id
            and not self.strategic_advisor.verticals.filter(  # type: ignore[union-attr]
                pk=self.vertical_id
            ).exists()
        ):
            errors["strategic_advisor"] = (
                f"A {self.vertical} agreement needs a {self.vertical}-experienced Strategic Advisor (R5); "
                f"{self.strategic_advisor} is not."
            )
        if self.technology_alignment_engineer_id and not self.technology_alignment_engineer.has_role(  # type: ignore[union-attr]
            "technology_alignment_engineer"
        ):
            errors["technology_alignment_engineer"] = (
                f"{self.technology_alignment_engineer} is not a Technology Alignment Engineer."
            )
        if errors:
            raise ValidationError(errors)


class SupportedOffice(models.Model):
    """An office listed in an agreement (R26). A listed site cannot be deleted out from under the
    contract: remove it from the agreement first (that change is audited)."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE)
    site = models.ForeignKey(Site, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agreement", "site"], name="supported_office_unique")]

    def __str__(self) -> str:
        return f"{self.site} on {self.agreement_id}"


class ListedApplication(ClientOwnedModel):
    """A line-of-business application listed in the agreement (R19, R22): supported to the
    extent of keeping it accessible and liaising with its vendor."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="listed_applications")
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="listed_applications")
    name = models.CharField(max_length=120)
    vendor = models.CharField(max_length=120, blank=True)
    version = models.CharField(max_length=40, blank=True)
    is_custom = models.BooleanField(default=False, help_text="A custom application, supported only when agreed (R22).")
    vendor_coverage = models.ForeignKey(
        "VendorCoverage", null=True, blank=True, on_delete=models.SET_NULL, related_name="applications"
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["agreement", "name"]
        constraints = [
            models.UniqueConstraint("agreement", Lower("name"), name="listed_application_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class VendorCoverage(ClientOwnedModel):
    """The client's vendor/OEM support on covered hardware and software (R28) — the one home of
    these facts; devices, documentation and vendor escalation (R20) refer to it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="vendor_coverages")
    vendor = models.CharField(max_length=120)
    covers = models.CharField(max_length=300, help_text="What is covered, e.g. 'Dell PowerEdge R750 servers'.")
    kind = models.CharField(max_length=20, choices=CoverageKind.choices, default=CoverageKind.HARDWARE)
    contract_number = models.CharField(max_length=80, blank=True)
    support_phone = models.CharField(max_length=40, blank=True)
    support_url = HttpsURLField("support URL", blank=True)
    starts_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True, help_text="Empty when it does not expire.")
    provider_is_authorized_user = models.BooleanField(
        default=False, help_text="The provider is listed as an authorized user of this support plan (R28)."
    )
    authorized_contact = models.CharField(
        max_length=200, blank=True, help_text="The provider contact named on the plan."
    )
    support_pin = EncryptedTextField("support PIN", blank=True, null=True, help_text="Support PIN or access code.")
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["client", "vendor", "covers"]
        verbose_name = "vendor/OEM coverage"
        verbose_name_plural = "vendor/OEM coverage"

    def __str__(self) -> str:
        return f"{self.vendor}: {self.covers}"

    def clean(self) -> None:
        if self.starts_on and self.expires_on and self.expires_on < self.starts_on:
            raise ValidationError({"expires_on": "Coverage cannot expire before it starts."})
