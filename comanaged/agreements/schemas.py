"""API schemas of agreements and the policy questions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from comanaged.agreements.choices import DeviceClass, Ownership
from comanaged.tenancy.schemas import Id, Instant, Strict, internal_notes

Money = Decimal


class AgreementOut(Schema):
    id: int
    reference: str
    client_id: Id
    plan: str
    vertical_id: int | None
    status: str
    starts_on: dt.date | None
    ends_on: dt.date | None
    activated_at: dt.datetime | None
    terminated_at: dt.datetime | None
    termination_reason: str
    signatory_id: int | None
    included_pocs: int
    extra_poc_monthly_fee: Money | None
    end_user_monthly_fee: Money | None
    vip_monthly_fee: Money | None
    partial_monthly_fee: Money | None
    email_only_monthly_fee: Money | None
    backup_service: str
    backup_monthly_price: Money | None
    strategic_advisor_id: int | None
    technology_alignment_engineer_id: int | None
    covered_device_classes: list[str]
    supported_office_ids: list[int]
    provisioning_standard_remote: Money
    provisioning_standard_on_site: Money
    provisioning_non_standard_remote: Money
    provisioning_non_standard_on_site: Money
    one_absent_poc_opens_coverage: bool
    notes: str

    @staticmethod
    def resolve_notes(obj: Any, context: Any) -> str:
        return internal_notes(obj, context)

    @staticmethod
    def resolve_supported_office_ids(obj: object) -> list[int]:
        return sorted(site.pk for site in obj.supported_offices.all())  # type: ignore[attr-defined]


MoneyIn = Decimal


class AgreementFields(Strict):
    plan: str | None = None
    vertical_id: Id | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    signatory_id: Id | None = None
    included_pocs: int | None = Field(None, ge=0, le=1000)
    extra_poc_monthly_fee: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    end_user_monthly_fee: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    vip_monthly_fee: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    partial_monthly_fee: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    email_only_monthly_fee: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    backup_service: str | None = None
    backup_monthly_price: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    strategic_advisor_id: Id | None = None
    technology_alignment_engineer_id: Id | None = None
    covered_device_classes: list[str] | None = None
    supported_office_ids: list[Id] | None = Field(None, max_length=500)
    provisioning_standard_remote: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    provisioning_standard_on_site: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    provisioning_non_standard_remote: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    provisioning_non_standard_on_site: MoneyIn | None = Field(None, ge=0, max_digits=12, decimal_places=2)
    one_absent_poc_opens_coverage: bool | None = None
    notes: str | None = None


class AgreementIn(AgreementFields):
    client_id: Id
    plan: str | None = "co_managed"


class TerminateIn(Strict):
    reason: str = Field(max_length=300)
    ends_on: dt.date | None = None


class VendorCoverageOut(Schema):
    id: int
    client_id: Id
    vendor: str
    covers: str
    kind: str
    contract_number: str
    support_phone: str
    support_url: str
    starts_on: dt.date | None
    expires_on: dt.date | None
    provider_is_authorized_user: bool
    authorized_contact: str
    has_support_pin: bool
    notes: str

    @staticmethod
    def resolve_notes(obj: Any, context: Any) -> str:
        return internal_notes(obj, context)

    @staticmethod
    def resolve_has_support_pin(obj: object) -> bool:
        return getattr(obj, "support_pin", None) is not None


class VendorCoverageFields(Strict):
    vendor: str | None = Field(None, max_length=120)
    covers: str | None = Field(None, max_length=300)
    kind: str | None = None
    contract_number: str | None = Field(None, max_length=80)
    support_phone: str | None = Field(None, max_length=40)
    support_url: str | None = Field(None, max_length=200)
    starts_on: dt.date | None = None
    expires_on: dt.date | None = None
    provider_is_authorized_user: bool | None = None
    authorized_contact: str | None = Field(None, max_length=200)
    support_pin: str | None = Field(None, max_length=200, description="Write-only; stored encrypted.")
    notes: str | None = None


class VendorCoverageIn(VendorCoverageFields):
    client_id: Id
    vendor: str = Field(max_length=120)
    covers: str = Field(max_length=300)


# --- policy questions ---------------------------------------------------------------------------


class DecisionOut(Schema):
    allowed: bool
    code: str
    message: str
    rules: list[str]


class EscalationIn(Strict):
    person_id: Id
    priority: str = Field(pattern="^P[1-4]$")
    at: Instant | None = None


class EscalationOut(DecisionOut):
    window: str | None
    desk: str | None
    remote_only: bool
    route_to_poc: bool


class DeviceCoverageIn(Strict):
    agreement_id: Id
    device_class: str = Field(pattern=f"^({'|'.join(DeviceClass.values)})$")
    ownership: str = Field("client", pattern=f"^({'|'.join(Ownership.values)})$")
    beyond_vendor_support: bool = False
    mobile_platform_vendor_supported: bool = True


class CoverageOut(DecisionOut):
    scope_limit: str | None


class ApplicationIn(Strict):
    agreement_id: Id
    name: str = Field(max_length=200)


class OnSiteIn(Strict):
    agreement_id: Id
    site_id: Id | None = None


class ProvisioningIn(Strict):
    agreement_id: Id
    configuration: str = Field(pattern="^(standard|non_standard)$")
    delivery: str = Field(pattern="^(remote|on_site)$")
    quantity: int = Field(ge=1, le=10000)


class ProvisioningOut(Schema):
    configuration: str
    delivery: str
    quantity: int
    unit_price: Decimal
    total: Decimal
    currency: str
    rules: list[str]


class VendorEscalationIn(Strict):
    client_id: Id
    coverage_ids: list[Id] | None = Field(None, max_length=500)
    on: dt.date | None = Field(None, ge=dt.date(1970, 1, 1), le=dt.date(2200, 1, 1))


class VendorEscalationOut(DecisionOut):
    coverage_id: int | None
