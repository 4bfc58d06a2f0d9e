"""REST endpoints of agreements, vendor coverage and the policy questions integrations ask."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Status

from comanaged.agreements import policy, selectors, services
from comanaged.agreements.choices import AgreementStatus
from comanaged.agreements.models import Agreement, VendorCoverage
from comanaged.agreements.schemas import (
    AgreementFields,
    AgreementIn,
    AgreementOut,
    ApplicationIn,
    CoverageOut,
    DecisionOut,
    DeviceCoverageIn,
    EscalationIn,
    EscalationOut,
    OnSiteIn,
    ProvisioningIn,
    ProvisioningOut,
    TerminateIn,
    VendorCoverageFields,
    VendorCoverageIn,
    VendorCoverageOut,
    VendorEscalationIn,
    VendorEscalationOut,
)
from comanaged.core.errors import ApplicationError, CoreErrorCode
from comanaged.core.pagination import page_of
from comanaged.tenancy.access import ensure_edit, ensure_view, referenced, scoped_or_404
from comanaged.tenancy.api import Page, PageQuery
from comanaged.tenancy.models import Client, Person, ProviderSettings, Site, StaffProfile, Vertical
from comanaged.tenancy.permissions import Area
from comanaged.tenancy.schemas import Id

router = Router(tags=["Agreements"])
policy_router = Router(tags=["Policy questions"])


class AgreementPage(Page):
    items: list[AgreementOut]


class VendorCoveragePage(Page):
    items: list[VendorCoverageOut]


class AgreementFilters(PageQuery):
    client_id: Id | None = None
    status: str | None = None
    plan: str | None = None


def _agreements(user: Any) -> Any:
    return Agreement.objects.for_user(user).prefetch_related("supported_offices")


def _apply_agreement_fields(request: HttpRequest, agreement: Agreement, data: dict[str, Any]) -> list[Site] | None:
    """Resolve ids (each must be visible to the caller) and set the plain fields."""
    user = request.user
    if "vertical_id" in data:
        vertical_id = data.pop("vertical_id")
        agreement.vertical = Vertical.objects.filter(pk=vertical_id).first() if vertical_id else None
        if vertical_id and agreement.vertical is None:
            raise_not_found("vertical_id")
    if "signatory_id" in data:
        agreement.signatory = referenced(Person.objects, user, data.pop("signatory_id"), "signatory_id")
    for name in ("strategic_advisor_id", "technology_alignment_engineer_id"):
        if name in data:
            staff_id = data.pop(name)
            staff = StaffProfile.objects.filter(pk=staff_id).first() if staff_id else None
            if staff_id and staff is None:
                raise_not_found(name)
            setattr(agreement, name.removesuffix("_id"), staff)
    offices = None
    if "supported_office_ids" in data:
        ids = data.pop("supported_office_ids") or []
        offices = [referenced(Site.objects, user, pk, "supported_office_ids") for pk in ids]
    for name, value in data.items():
        if value is None and name in {"plan", "covered_device_classes", "notes", "backup_service"}:
            continue  # these have no "unset" value; null means "leave as is"
        setattr(agreement, name, value)
    return offices


def raise_not_found(field: str) -> None:
    raise ApplicationError(CoreErrorCode.NOT_FOUND, f"No such {field.removesuffix('_id')}.", field=field)


@router.get("/agreements", response=AgreementPage)
def list_agreements(request: HttpRequest, response: HttpResponse, filters: Query[AgreementFilters]) -> Any:
    ensure_view(request, Area.AGREEMENTS)
    queryset = _agreements(request.user)
    for name in ("client_id", "status", "plan"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    return page_of(
        request,
        response,
        queryset,
        filters,
        default="reference",
        allowed={"reference": "reference", "created_at": "created_at", "status": "status"},
    )


@router.post("/agreements", response={201: AgreementOut}, summary="Create a draft agreement")
def create_agreement(request: HttpRequest, payload: AgreementIn) -> Any:
    ensure_edit(request, Area.AGREEMENTS)
    data = payload.dict(exclude_unset=True)
    client = referenced(Client.objects, request.user, data.pop("client_id"), "client_id")
    agreement = Agreement(client=client)
    offices = _apply_agreement_fields(request, agreement, data)
    services.agreement_save(agreement=agreement, actor=request.user, supported_offices=offices)
    return Status(201, agreement)


@router.get("/agreements/{agreement_id}", response=AgreementOut)
def get_agreement(request: HttpRequest, agreement_id: int) -> Any:
    ensure_view(request, Area.AGREEMENTS)
    return scoped_or_404(_agreements(request.user), request.user, agreement_id)


@router.patch("/agreements/{agreement_id}", response=AgreementOut)
def update_agreement(request: HttpRequest, agreement_id: int, payload: AgreementFields) -> Any:
    agreement = scoped_or_404(Agreement.objects, request.user, agreement_id)
    ensure_edit(request, Area.AGREEMENTS)
    offices = _apply_agreement_fields(request, agreement, payload.dict(exclude_unset=True))
    return services.agreement_save(agreement=agreement, actor=request.user, supported_offices=offices)


@router.post(
    "/agreements/{agreement_id}/activate",
    response=AgreementOut,
    summary="Activate a draft (refused, naming each missing term: backup R3, advisors R5, fees R2/R6)",
)
def activate_agreement(request: HttpRequest, agreement_id: int) -> Any:
    agreement = scoped_or_404(Agreement.objects, request.user, agreement_id)
    ensure_edit(request, Area.AGREEMENT_LIFECYCLE)
    return services.agreement_activate(agreement=agreement, actor=request.user)


@router.post("/agreements/{agreement_id}/terminate", response=AgreementOut)
def terminate_agreement(request: HttpRequest, agreement_id: int, payload: TerminateIn) -> Any:
    agreement = scoped_or_404(Agreement.objects, request.user, agreement_id)
    ensure_edit(request, Area.AGREEMENT_LIFECYCLE)
    return services.agreement_terminate(
        agreement=agreement, actor=request.user, reason=payload.reason, ends_on=payload.ends_on
    )


# --- vendor coverage (R28) -------------------------------------------------------------------


class CoverageFilters(PageQuery):
    client_id: Id | None = None
    vendor: str | None = None


@router.get("/vendor-coverage", response=VendorCoveragePage, tags=["Vendor coverage"])
def list_coverage(request: HttpRequest, response: HttpResponse, filters: Query[CoverageFilters]) -> Any:
    ensure_view(request, Area.VENDOR_COVERAGE)
    queryset = VendorCoverage.objects.for_user(request.user)
    if filters.client_id is not None:
        queryset = queryset.filter(client_id=filters.client_id)
    if filters.vendor:
        queryset = queryset.filter(vendor__icontains=filters.vendor)
    return page_of(
        request, response, queryset, filters, default="vendor", allowed={"vendor": "vendor", "created_at": "created_at"}
    )


@router.post("/vendor-coverage", response={201: VendorCoverageOut}, tags=["Vendor coverage"])
def create_coverage(request: HttpRequest, payload: VendorCoverageIn) -> Any:
    ensure_edit(request, Area.VENDOR_COVERAGE)
    data = {k: v for k, v in payload.dict().items() if v is not None}
    client = referenced(Client.objects, request.user, data.pop("client_id"), "client_id")
    coverage = VendorCoverage(client=client, **data)
    return Status(201, services.vendor_coverage_save(coverage=coverage, actor=request.user))


@router.get("/vendor-coverage/{coverage_id}", response=VendorCoverageOut, tags=["Vendor coverage"])
def get_coverage(request: HttpRequest, coverage_id: int) -> Any:
    ensure_view(request, Area.VENDOR_COVERAGE)
    return scoped_or_404(VendorCoverage.objects, request.user, coverage_id)


@router.patch("/vendor-coverage/{coverage_id}", response=VendorCoverageOut, tags=["Vendor coverage"])
def update_coverage(request: HttpRequest, coverage_id: int, payload: VendorCoverageFields) -> Any:
    coverage = scoped_or_404(VendorCoverage.objects, request.user, coverage_id)
    ensure_edit(request, Area.VENDOR_COVERAGE)
    for name, value in payload.dict(exclude_unset=True).items():
        setattr(coverage, name, "" if value is None and name != "expires_on" and name != "starts_on" else value)
    return services.vendor_coverage_save(coverage=coverage, actor=request.user)


# --- policy questions ------------------------------------------------------------------------


def _decision(decision: policy.Decision) -> dict[str, Any]:
    data = dataclasses.asdict(decision)
    data["rules"] = list(decision.rules)
    return data


def _agreement_for_question(request: HttpRequest, agreement_id: int, *, active: bool = True) -> Agreement:
    """The agreement a question is about; scope questions (R19, R22, R26) need an active one."""
    ensure_view(request, Area.AGREEMENTS)
    agreement: Agreement = scoped_or_404(Agreement.objects, request.user, agreement_id)
    if active and agreement.status != AgreementStatus.ACTIVE:
        raise ApplicationError(
            "agreement_not_active",
            f"{agreement.reference} is {agreement.get_status_display().lower()}; "
            "coverage questions are answered from an active agreement.",
            field="agreement_id",
        )
    return agreement


@policy_router.post(
    "/may-escalate",
    response=EscalationOut,
    summary="May this person put a ticket on the provider's desk now? (R9–R13, R27)",
)
def may_escalate(request: HttpRequest, payload: EscalationIn) -> Any:
    ensure_view(request, Area.PEOPLE)
    person = referenced(Person.objects, request.user, payload.person_id, "person_id")
    assert isinstance(person, Person)
    decision = selectors.person_may_escalate(person=person, priority=payload.priority, at=payload.at)
    return _decision(decision)


@policy_router.post(
    "/device-coverage", response=CoverageOut, summary="Is this device covered, within which limits? (R22)"
)
def device_coverage(request: HttpRequest, payload: DeviceCoverageIn) -> Any:
    agreement = _agreement_for_question(request, payload.agreement_id)
    facts = policy.DeviceFacts(
        device_class=payload.device_class,
        ownership=payload.ownership,
        covered_classes=frozenset(agreement.covered_device_classes),
        beyond_vendor_support=payload.beyond_vendor_support,
        mobile_platform_vendor_supported=payload.mobile_platform_vendor_supported,
    )
    return _decision(policy.device_coverage(facts))


@policy_router.post("/application-listed", response=DecisionOut, summary="Is this LOB application listed? (R19)")
def application_listed(request: HttpRequest, payload: ApplicationIn) -> Any:
    agreement = _agreement_for_question(request, payload.agreement_id)
    return _decision(policy.application_listed(payload.name, selectors.listed_application_names(agreement)))


@policy_router.post("/on-site-support", response=DecisionOut, summary="Is on-site support given at this site? (R26)")
def on_site_support(request: HttpRequest, payload: OnSiteIn) -> Any:
    agreement = _agreement_for_question(request, payload.agreement_id)
    return _decision(policy.on_site_support(payload.site_id, selectors.supported_office_ids(agreement)))


@policy_router.post("/provisioning-cost", response=ProvisioningOut, summary="What does provisioning cost? (R23)")
def provisioning_cost(request: HttpRequest, payload: ProvisioningIn) -> Any:
    agreement = _agreement_for_question(request, payload.agreement_id, active=False)  # quotes for drafts too
    rates = selectors.provisioning_rates(agreement)
    total = policy.provisioning_cost(
        configuration=payload.configuration, delivery=payload.delivery, quantity=payload.quantity, rates=rates
    )
    return {
        "configuration": payload.configuration,
        "delivery": payload.delivery,
        "quantity": payload.quantity,
        "unit_price": rates.rate(payload.configuration, payload.delivery),
        "total": total,
        "currency": ProviderSettings.load().currency,
        "rules": ["R23"],
    }


@policy_router.post(
    "/vendor-escalation", response=VendorEscalationOut, summary="May the provider escalate to the vendor? (R20, R28)"
)
def vendor_escalation(request: HttpRequest, payload: VendorEscalationIn) -> Any:
    ensure_view(request, Area.VENDOR_COVERAGE)
    client = referenced(Client.objects, request.user, payload.client_id, "client_id")
    coverages = VendorCoverage.objects.filter(client=client)
    if payload.coverage_ids is not None:
        coverages = coverages.filter(pk__in=payload.coverage_ids)
    decision = policy.vendor_escalation(selectors.coverage_facts(coverages), payload.on or timezone.now().date())
    data = _decision(decision)
    data["coverage_id"] = decision.coverage.coverage_id if decision.coverage else None
    return data
