"""Reads of the agreements app, and the facts the policy questions need."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils import timezone

from comanaged.agreements import hooks
from comanaged.agreements.choices import AgreementStatus
from comanaged.agreements.models import Agreement, ListedApplication, VendorCoverage
from comanaged.agreements.policy import (
    LEVEL_FEE_FIELDS,
    AbsenceFact,
    ActivationFacts,
    CoverageFact,
    EscalationDecision,
    EscalationFacts,
    ProvisioningRates,
    may_escalate,
)
from comanaged.tenancy.models import Absence, Client, Person
from comanaged.tenancy.selectors import active_poc_ids, client_calendar


def active_agreement(client: Client | int) -> Agreement | None:
    return (
        Agreement.objects.filter(client=client, status=AgreementStatus.ACTIVE)
        .select_related("vertical", "client")
        .first()
    )


def governing_agreement(client: Client | int) -> Agreement | None:
    """The agreement whose terms apply: the active one, else the newest draft."""
    return active_agreement(client) or (
        Agreement.objects.filter(client=client, status=AgreementStatus.DRAFT).order_by("-created_at").first()
    )


def activation_facts(agreement: Agreement) -> ActivationFacts:
    advisor = agreement.strategic_advisor
    return ActivationFacts(
        status=agreement.status,
        is_vertical=agreement.is_vertical,
        starts_on=agreement.starts_on,
        backup_service=agreement.backup_service,
        backup_monthly_price=agreement.backup_monthly_price,
        # R5: designated *and* still holding the role (roles can be taken away after designation).
        has_strategic_advisor=advisor is not None and advisor.has_role("strategic_advisor"),
        strategic_advisor_has_vertical=bool(
            advisor and agreement.vertical_id and advisor.verticals.filter(pk=agreement.vertical_id).exists()
        ),
        has_technology_alignment_engineer=(
            agreement.technology_alignment_engineer is not None
            and agreement.technology_alignment_engineer.has_role("technology_alignment_engineer")
        ),
        poc_count=len(active_poc_ids(agreement.client_id)),
        included_pocs=agreement.included_pocs,
        extra_poc_fee=agreement.extra_poc_monthly_fee,
        level_fees={level: getattr(agreement, name) for level, name in LEVEL_FEE_FIELDS.items()},
        client_has_other_active=Agreement.objects.filter(client_id=agreement.client_id, status=AgreementStatus.ACTIVE)
        .exclude(pk=agreement.pk)
        .exists(),
    )


def escalation_facts(
    *,
    person: Person,
    priority: str,
    at: dt.datetime | None = None,
    runbooks_complete: bool | None = None,
    agreement: Agreement | None = None,
) -> EscalationFacts:
    """Facts for :func:`may_escalate`. Whether the runbooks are complete (R27) is the knowledge
    base's answer (``hooks.runbooks_complete``) unless the caller says."""
    at = at or timezone.now()
    client = person.client
    agreement = agreement if agreement is not None else active_agreement(client)
    absences = Absence.objects.filter(client=client, starts_at__lte=at, ends_at__gt=at)
    return EscalationFacts(
        agreement_status=agreement.status if agreement else "none",
        plan=agreement.plan if agreement else "",
        is_vertical=bool(agreement and agreement.is_vertical),
        requester_id=person.pk,
        requester_is_human=person.is_human,
        requester_is_active=person.is_active,
        requester_level=person.level,
        priority=priority,
        at=at,
        calendar=client_calendar(client),
        poc_ids=active_poc_ids(client),
        absences=tuple(AbsenceFact(a.person_id, a.starts_at, a.ends_at) for a in absences),
        one_absent_poc_opens_coverage=bool(agreement and agreement.one_absent_poc_opens_coverage),
        runbooks_complete=(runbooks_complete if runbooks_complete is not None else hooks.runbooks_complete(agreement)),
    )


def person_may_escalate(
    *,
    person: Person,
    priority: str,
    at: dt.datetime | None = None,
    runbooks_complete: bool | None = None,
    agreement: Agreement | None = None,
) -> EscalationDecision:
    """``agreement``: the client's active agreement when the caller already has it (one query less)."""
    facts = escalation_facts(
        person=person, priority=priority, at=at, runbooks_complete=runbooks_complete, agreement=agreement
    )
    return may_escalate(facts)


def listed_application_names(agreement: Agreement) -> list[str]:
    return list(ListedApplication.objects.filter(agreement=agreement).values_list("name", flat=True))


def supported_office_ids(agreement: Agreement) -> frozenset[int]:
    return frozenset(agreement.supported_offices.values_list("pk", flat=True))


def provisioning_rates(agreement: Agreement) -> ProvisioningRates:
    return ProvisioningRates(
        standard_remote=agreement.provisioning_standard_remote,
        standard_on_site=agreement.provisioning_standard_on_site,
        non_standard_remote=agreement.provisioning_non_standard_remote,
        non_standard_on_site=agreement.provisioning_non_standard_on_site,
    )


def coverage_facts(coverages: Iterable[VendorCoverage]) -> list[CoverageFact]:
    return [
        CoverageFact(
            coverage_id=c.pk,
            vendor=c.vendor,
            covers=c.covers,
            provider_is_authorized_user=c.provider_is_authorized_user,
            starts_on=c.starts_on,
            expires_on=c.expires_on,
        )
        for c in coverages
    ]
