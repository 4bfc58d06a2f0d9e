"""Agreement life cycle and the contract's rules at write time (R1–R3, R5, R6, R26, R28)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from comanaged.agreements.choices import AgreementStatus, Plan
from comanaged.agreements.models import Agreement, ListedApplication
from comanaged.agreements.policy import provisioning_cost, vendor_escalation
from comanaged.agreements.selectors import (
    activation_facts,
    coverage_facts,
    person_may_escalate,
    provisioning_rates,
)
from comanaged.agreements.services import (
    agreement_activate,
    agreement_save,
    agreement_terminate,
    listed_application_save,
)
from comanaged.agreements.tests.factories import AgreementFactory, VendorCoverageFactory
from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import Person
from comanaged.tenancy.services import person_save
from comanaged.tenancy.tests.factories import (
    AbsenceFactory,
    ClientFactory,
    PersonFactory,
    SiteFactory,
    UserFactory,
    VerticalFactory,
    make_staff,
)

pytestmark = pytest.mark.django_db


def problem_fields(error: ApplicationError) -> set[str | None]:
    return {p.field for p in error.problems}


def test_r3_activation_is_refused_without_backup_and_nothing_changes():
    agreement = AgreementFactory(backup_service="", backup_monthly_price=None)
    entries = AuditEntry.objects.count()
    with pytest.raises(ApplicationError) as caught:
        agreement_activate(agreement=agreement, actor=UserFactory())
    assert {"backup_service", "backup_monthly_price"} <= problem_fields(caught.value)
    assert "R3" in caught.value.message
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT and agreement.activated_at is None
    assert AuditEntry.objects.count() == entries


def test_r3_activation_with_backup_makes_the_agreement_active_and_audits_it():
    agreement = AgreementFactory()
    actor = UserFactory()
    agreement_activate(agreement=agreement, actor=actor)
    assert agreement.status == AgreementStatus.ACTIVE and agreement.activated_at is not None
    entry = AuditEntry.objects.get(action="activate", object_id=str(agreement.pk))
    assert entry.actor == actor and entry.changes["status"] == ["draft", "active"]


def test_r3_an_active_agreement_cannot_drop_its_backup():
    agreement = AgreementFactory()
    agreement_activate(agreement=agreement, actor=None)
    agreement.backup_service = ""
    with pytest.raises(ApplicationError) as caught:
        agreement_save(agreement=agreement, actor=None)
    assert "backup_service" in problem_fields(caught.value)
    assert Agreement.objects.get(pk=agreement.pk).backup_service != ""


def test_r5_activation_needs_both_advisors():
    agreement = AgreementFactory(strategic_advisor=None, technology_alignment_engineer=None)
    with pytest.raises(ApplicationError) as caught:
        agreement_activate(agreement=agreement, actor=None)
    assert {"strategic_advisor", "technology_alignment_engineer"} <= problem_fields(caught.value)


def test_r5_a_vertical_agreement_refuses_a_strategic_advisor_without_the_vertical():
    healthcare = VerticalFactory(slug="healthcare")
    agreement = AgreementFactory(vertical=healthcare)
    assert agreement.pk  # the factory's advisor has no vertical… and that draft must not save:
    agreement.strategic_advisor = make_staff("strategic_advisor")
    with pytest.raises(ApplicationError) as caught:
        agreement_save(agreement=agreement, actor=None)
    assert caught.value.field == "strategic_advisor" and "R5" in caught.value.message
    agreement.strategic_advisor = make_staff("strategic_advisor", verticals=[healthcare])
    agreement_save(agreement=agreement, actor=None)
    agreement_activate(agreement=agreement, actor=None)


def test_r5_designated_people_must_hold_the_role():
    agreement = AgreementFactory()
    agreement.strategic_advisor = make_staff("technician")
    agreement.technology_alignment_engineer = make_staff("billing")
    with pytest.raises(ApplicationError) as caught:
        agreement_save(agreement=agreement, actor=None)
    assert problem_fields(caught.value) == {"strategic_advisor", "technology_alignment_engineer"}


def test_r5_designated_advisors_join_the_clients_team():
    agreement = AgreementFactory.build(client=ClientFactory(), reference="")
    agreement.strategic_advisor = make_staff("strategic_advisor")
    agreement.technology_alignment_engineer = make_staff("technology_alignment_engineer")
    agreement_save(agreement=agreement, actor=None)
    assert set(agreement.client.team.all()) == {agreement.strategic_advisor, agreement.technology_alignment_engineer}


def test_r6_activation_needs_a_fee_for_every_level():
    agreement = AgreementFactory(vip_monthly_fee=None, email_only_monthly_fee=None)
    with pytest.raises(ApplicationError) as caught:
        agreement_activate(agreement=agreement, actor=None)
    assert problem_fields(caught.value) == {"vip_monthly_fee", "email_only_monthly_fee"}


def test_r2_a_third_poc_without_an_extra_poc_fee_is_refused():
    agreement = AgreementFactory(extra_poc_monthly_fee=None)
    PersonFactory(client=agreement.client, level=UserLevel.POC)
    PersonFactory(client=agreement.client, level=UserLevel.POC)
    with pytest.raises(ApplicationError) as caught:
        person_save(person=Person(client=agreement.client, full_name="Third POC", level=UserLevel.POC), actor=None)
    assert caught.value.code == "extra_poc_fee_required" and caught.value.field == "level"
    assert not Person.objects.filter(full_name="Third POC").exists()


def test_r2_a_third_poc_is_accepted_once_the_fee_is_set_and_the_fee_stays_required():
    agreement = AgreementFactory(extra_poc_monthly_fee=Decimal("125.00"))
    for n in range(3):
        person_save(person=Person(client=agreement.client, full_name=f"POC {n}", level=UserLevel.POC), actor=None)
    assert activation_facts(agreement).poc_count == 3
    # A draft may drop the fee while it is negotiated, but then cannot be activated…
    agreement.extra_poc_monthly_fee = None
    agreement_save(agreement=agreement, actor=None)
    with pytest.raises(ApplicationError) as caught:
        agreement_activate(agreement=agreement, actor=None)
    assert problem_fields(caught.value) == {"extra_poc_monthly_fee"}
    # …and an active agreement with three POCs cannot drop it.
    agreement.extra_poc_monthly_fee = Decimal("125.00")
    agreement_save(agreement=agreement, actor=None)
    agreement_activate(agreement=agreement, actor=None)
    agreement.extra_poc_monthly_fee = None
    with pytest.raises(ApplicationError) as caught:
        agreement_save(agreement=agreement, actor=None)
    assert caught.value.code == "extra_poc_fee_required"


def test_r2_an_end_user_promoted_to_third_poc_is_refused_without_the_fee():
    agreement = AgreementFactory(extra_poc_monthly_fee=None)
    PersonFactory.create_batch(2, client=agreement.client, level=UserLevel.POC)
    end_user = PersonFactory(client=agreement.client, level=UserLevel.END_USER)
    end_user.level = UserLevel.POC
    with pytest.raises(ApplicationError):
        person_save(person=end_user, actor=None)
    assert Person.objects.get(pk=end_user.pk).level == UserLevel.END_USER


def test_r26_a_site_of_another_client_cannot_be_a_supported_office():
    agreement = AgreementFactory()
    own, foreign = SiteFactory(client=agreement.client), SiteFactory()
    with pytest.raises(ApplicationError) as caught:
        agreement_save(agreement=agreement, actor=None, supported_offices=[own, foreign])
    assert caught.value.field == "supported_offices" and caught.value.code == "wrong_client"
    assert agreement.supported_offices.count() == 0
    agreement_save(agreement=agreement, actor=None, supported_offices=[own])
    assert list(agreement.supported_offices.all()) == [own]


def test_r1_a_client_has_one_active_agreement_at_a_time():
    first = AgreementFactory()
    agreement_activate(agreement=first, actor=None)
    second = AgreementFactory(client=first.client)
    with pytest.raises(ApplicationError) as caught:
        agreement_activate(agreement=second, actor=None)
    assert caught.value.code == "client_has_active_agreement"
    agreement_terminate(agreement=first, actor=None, reason="Renewed on new terms")
    agreement_activate(agreement=second, actor=None)


def test_termination_needs_a_reason_and_an_active_agreement_and_closes_it():
    agreement = AgreementFactory()
    with pytest.raises(ApplicationError) as caught:
        agreement_terminate(agreement=agreement, actor=None, reason="x")
    assert caught.value.code == "not_active"
    agreement_activate(agreement=agreement, actor=None)
    with pytest.raises(ApplicationError) as caught:
        agreement_terminate(agreement=agreement, actor=None, reason="  ")
    assert caught.value.field == "termination_reason"
    agreement_terminate(agreement=agreement, actor=None, reason="Moved in-house", ends_on=dt.date(2026, 12, 31))
    assert agreement.status == AgreementStatus.TERMINATED and agreement.ends_on == dt.date(2026, 12, 31)
    agreement.notes = "late edit"
    with pytest.raises(ApplicationError):
        agreement_save(agreement=agreement, actor=None)


def test_references_are_sequential_per_year():
    first = agreement_save(agreement=AgreementFactory.build(client=ClientFactory(), reference=""), actor=None)
    second = agreement_save(agreement=AgreementFactory.build(client=ClientFactory(), reference=""), actor=None)
    year = timezone.now().year
    assert first.reference.startswith(f"AGR-{year}-")
    assert int(second.reference[-4:]) == int(first.reference[-4:]) + 1


def test_r22_covered_device_classes_must_be_known():
    agreement = AgreementFactory()
    agreement.covered_device_classes = ["server", "toaster"]
    with pytest.raises(ApplicationError) as caught:
        agreement_save(agreement=agreement, actor=None)
    assert caught.value.field == "covered_device_classes" and "toaster" in caught.value.message


def test_r19_listed_applications_are_unique_per_agreement_and_stay_in_the_client():
    agreement = AgreementFactory()
    listed_application_save(application=ListedApplication(agreement=agreement, name="Dentrix Ascend"), actor=None)
    with pytest.raises(ApplicationError):
        listed_application_save(application=ListedApplication(agreement=agreement, name="dentrix ascend"), actor=None)
    foreign_coverage = VendorCoverageFactory()
    with pytest.raises(ApplicationError) as caught:
        listed_application_save(
            application=ListedApplication(agreement=agreement, name="Clio", vendor_coverage=foreign_coverage),
            actor=None,
        )
    assert caught.value.field == "vendor_coverage"
    assert ListedApplication.objects.filter(agreement=agreement).count() == 1


def test_r28_vendor_escalation_from_stored_coverage():
    client = ClientFactory()
    VendorCoverageFactory(client=client, provider_is_authorized_user=False)
    today = dt.date(2026, 6, 1)
    assert vendor_escalation(coverage_facts(client.vendor_coverages.all()), today).code == "provider_not_authorized"
    VendorCoverageFactory(client=client, vendor="HP", provider_is_authorized_user=True)
    decision = vendor_escalation(coverage_facts(client.vendor_coverages.all()), today)
    assert decision.allowed and decision.coverage is not None and decision.coverage.vendor == "HP"


def test_r23_rate_card_defaults_come_from_the_agreement():
    agreement = AgreementFactory()
    rates = provisioning_rates(agreement)
    assert provisioning_cost(configuration="non_standard", delivery="on_site", quantity=3, rates=rates) == Decimal(
        "2100.00"
    )
    agreement.provisioning_standard_remote = Decimal("175.00")
    assert provisioning_cost(
        configuration="standard", delivery="remote", quantity=2, rates=provisioning_rates(agreement)
    ) == Decimal("350.00")


def test_r11_escalation_question_from_stored_facts():
    """A Co-managed+ end-user, during business hours, while the only POC is on PTO (R11)."""
    client = ClientFactory(time_zone="America/New_York")
    agreement = AgreementFactory(client=client, plan=Plan.CO_MANAGED_PLUS)
    agreement_activate(agreement=agreement, actor=None)
    end_user = PersonFactory(client=client, level=UserLevel.END_USER)
    poc = PersonFactory(client=client, level=UserLevel.POC)
    tuesday_10am = dt.datetime(2026, 6, 9, 14, 0, tzinfo=dt.UTC)
    decision = person_may_escalate(person=end_user, priority="P3", at=tuesday_10am, runbooks_complete=True)
    assert not decision.allowed and decision.route_to_poc
    AbsenceFactory(
        person=poc,
        client=client,
        starts_at=tuesday_10am - dt.timedelta(days=1),
        ends_at=tuesday_10am + dt.timedelta(days=1),
    )
    decision = person_may_escalate(person=end_user, priority="P3", at=tuesday_10am, runbooks_complete=True)
    assert decision.allowed and decision.remote_only
    assert person_may_escalate(person=poc, priority="P4", at=tuesday_10am).allowed


def test_a_person_of_another_client_cannot_sign_the_agreement():
    agreement = AgreementFactory()
    agreement.signatory = PersonFactory()  # another client's person
    with pytest.raises(ApplicationError) as caught:
        agreement_save(agreement=agreement, actor=None)
    assert caught.value.field == "signatory" and caught.value.code == "wrong_client"
    assert Agreement.objects.get(pk=agreement.pk).signatory_id is None
    agreement.signatory = PersonFactory(client=agreement.client, level=UserLevel.POC)
    agreement_save(agreement=agreement, actor=None)
    assert Agreement.objects.get(pk=agreement.pk).signatory == agreement.signatory


def test_r5_an_advisor_who_lost_the_role_blocks_activation():
    agreement = AgreementFactory()
    agreement.strategic_advisor.roles.clear()
    fresh = Agreement.objects.get(pk=agreement.pk)
    with pytest.raises(ApplicationError) as caught:
        agreement_activate(agreement=fresh, actor=None)
    assert caught.value.field == "strategic_advisor"


def test_references_keep_counting_past_9999():
    year = timezone.now().year
    AgreementFactory(reference=f"AGR-{year}-9999")
    AgreementFactory(reference=f"AGR-{year}-10000")
    created = agreement_save(agreement=AgreementFactory.build(client=ClientFactory(), reference=""), actor=None)
    assert created.reference == f"AGR-{year}-10001"


def test_ending_before_the_start_names_the_field():
    agreement = AgreementFactory(starts_on=dt.date(2026, 6, 1))
    agreement_activate(agreement=agreement, actor=None)
    with pytest.raises(ApplicationError) as caught:
        agreement_terminate(agreement=agreement, actor=None, reason="x", ends_on=dt.date(2026, 1, 1))
    assert (caught.value.code, caught.value.field) == ("ends_before_start", "ends_on")
