"""Every admin page is scoped, role-gated and audited (isolation test kit, GUIDE convention 3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from comanaged.agreements.models import Agreement, ListedApplication, VendorCoverage
from comanaged.agreements.tests.factories import AgreementFactory, VendorCoverageFactory
from comanaged.core.models import AuditEntry
from comanaged.core.testing import assert_isolated
from comanaged.tenancy.models import Absence, Client, Person, Site, User
from comanaged.tenancy.tests.factories import (
    AbsenceFactory,
    ClientFactory,
    PersonFactory,
    SiteFactory,
    make_staff,
    sign_in_person,
)

pytestmark = pytest.mark.django_db


@dataclass
class World:
    mine: Client
    theirs: Client
    admin: User
    advisor: User  # strategic advisor on the team of `mine` only
    poc: User  # a client's person with a sign-in (never an admin user)
    objects: dict[str, Any]


@pytest.fixture
def world() -> World:
    mine, theirs = ClientFactory(), ClientFactory()
    advisor = make_staff("strategic_advisor")
    mine.team.add(advisor)
    objects: dict[str, Any] = {}
    for label, client in (("mine", mine), ("theirs", theirs)):
        site = SiteFactory(client=client)
        poc = PersonFactory(client=client, level="poc", site=site)
        agreement = AgreementFactory(client=client)
        coverage = VendorCoverageFactory(client=client)
        objects[label] = {
            "client": client,
            "site": site,
            "person": poc,
            "absence": AbsenceFactory(person=poc, client=client),
            "agreement": agreement,
            "listedapplication": ListedApplication.objects.create(client=client, agreement=agreement, name="App"),
            "vendorcoverage": coverage,
        }
    poc_user = sign_in_person(PersonFactory(client=mine, level="poc"))
    return World(mine, theirs, make_staff("admin").user, advisor.user, poc_user, objects)


CLIENT_OWNED = [
    ("tenancy", "client"),
    ("tenancy", "site"),
    ("tenancy", "person"),
    ("tenancy", "absence"),
    ("agreements", "agreement"),
    ("agreements", "vendorcoverage"),
]


@pytest.mark.parametrize(("app", "model"), CLIENT_OWNED)
def test_change_page_of_another_clients_object_is_a_404(client, world, app, model):
    theirs = world.objects["theirs"][model]
    url = reverse(f"admin:{app}_{model}_change", args=[theirs.pk])
    assert_isolated(client, url, owner=world.admin, outsider=world.advisor)


@pytest.mark.parametrize(("app", "model"), CLIENT_OWNED)
def test_lists_show_only_the_clients_in_scope(client, world, app, model):
    client.force_login(world.advisor)
    response = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert world.objects["mine"][model] in shown
    assert world.objects["theirs"][model] not in shown


@pytest.mark.parametrize(("app", "model"), [*CLIENT_OWNED, ("tenancy", "providersettings"), ("core", "auditentry")])
def test_a_clients_person_never_reaches_the_admin(client, world, app, model):
    client.force_login(world.poc)
    response = client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


# Wrong role: a staff member whose role may not change this area.
WRONG_ROLE_DELETES = [
    ("tenancy", "site", "billing"),
    ("tenancy", "person", "billing"),
    ("tenancy", "absence", "billing"),
    ("agreements", "vendorcoverage", "billing"),
]


@pytest.mark.parametrize(("app", "model", "role"), WRONG_ROLE_DELETES)
def test_deleting_needs_the_right_role_and_scope_and_changes_nothing_when_refused(client, world, app, model, role):
    theirs = world.objects["theirs"][model]
    model_class = type(theirs)
    url = reverse(f"admin:{app}_{model}_delete", args=[theirs.pk])
    assert_isolated(
        client,
        url,
        method="post",
        data={"post": "yes"},
        owner=world.admin,
        outsider=world.advisor,
        wrong_role=make_staff(role).user,
        state=lambda: model_class.objects.filter(pk=theirs.pk).exists(),
    )
    assert not model_class.objects.filter(pk=theirs.pk).exists()  # the owner's delete went through
    assert AuditEntry.objects.filter(action="delete", object_id=str(theirs.pk)).exists()


def test_technicians_cannot_change_agreements(client, world):
    agreement = world.objects["mine"]["agreement"]
    url = reverse("admin:agreements_agreement_change", args=[agreement.pk])
    client.force_login(make_staff("technician").user)
    assert client.get(url).status_code == 200  # view only
    response = client.post(url, {"plan": "co_managed_plus"})
    assert response.status_code == 403
    assert Agreement.objects.get(pk=agreement.pk).plan == "co_managed"


def test_agreements_are_never_deleted(client, world):
    agreement = world.objects["mine"]["agreement"]
    client.force_login(world.admin)
    response = client.post(reverse("admin:agreements_agreement_delete", args=[agreement.pk]), {"post": "yes"})
    assert response.status_code == 403
    assert Agreement.objects.filter(pk=agreement.pk).exists()


def test_the_audit_log_is_scoped_and_closed_to_roles_without_audit_rights(client, world):
    url = reverse("admin:core_auditentry_changelist")
    client.force_login(make_staff("technician").user)
    assert client.get(url).status_code == 403
    client.force_login(make_staff("onboarding_pm").user)
    assert client.get(url).status_code == 200
    entry = AuditEntry.objects.filter(client_id=world.theirs.pk).first()
    assert entry is not None
    pm = make_staff("onboarding_pm")
    world.mine.team.add(pm)
    assert_isolated(
        client,
        reverse("admin:core_auditentry_change", args=[entry.pk]),
        owner=world.admin,
        outsider=pm.user,
        wrong_role=make_staff("technician").user,
    )


@pytest.mark.parametrize(
    ("url_name", "wrong_role"),
    [
        ("admin:tenancy_providersettings_changelist", None),
        ("admin:tenancy_vertical_changelist", None),
        ("admin:tenancy_staffprofile_changelist", None),
        ("admin:tenancy_user_changelist", None),
    ],
)
def test_provider_pages_need_staff(client, world, url_name, wrong_role):
    assert_isolated(client, reverse(url_name), owner=world.admin)


def test_only_admins_change_provider_settings(client, world):
    from comanaged.tenancy.models import ProviderSettings

    ProviderSettings.load()
    url = reverse("admin:tenancy_providersettings_change", args=[1])
    assert_isolated(
        client,
        url,
        method="post",
        data={"name": "Hijacked", "currency": "EUR", "time_zone": "UTC"},
        owner=world.admin,
        wrong_role=make_staff("dispatcher").user,
        state=lambda: ProviderSettings.load().name,
    )


def test_user_list_hides_sign_ins_of_clients_out_of_scope(client, world):
    theirs_user = sign_in_person(PersonFactory(client=world.theirs, level="poc"))
    client.force_login(world.advisor)
    shown = set(client.get(reverse("admin:tenancy_user_changelist")).context["cl"].result_list)
    assert world.poc in shown and theirs_user not in shown
    assert client.get(reverse("admin:tenancy_user_change", args=[theirs_user.pk])).status_code == 404


# --- Errors beside the field; refusals visible -----------------------------------------------


def test_r6_the_person_form_shows_the_level_error_beside_the_field(client, world):
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:tenancy_person_add"),
        {
            "client": world.mine.pk,
            "full_name": "svc-sql",
            "kind": "service_account",
            "level": "vip",
            "is_active": "on",
            "absences-TOTAL_FORMS": "0",
            "absences-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "level" in response.context["adminform"].form.errors
    assert "not a person" in response.context["adminform"].form.errors["level"][0]
    assert not Person.objects.filter(full_name="svc-sql").exists()


def test_r2_the_person_form_refuses_a_third_poc_without_the_fee(client, world):
    agreement = world.objects["mine"]["agreement"]
    Agreement.objects.filter(pk=agreement.pk).update(extra_poc_monthly_fee=None)
    # `mine` already has two POCs (the fixture's and the signed-in one).
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:tenancy_person_add"),
        {
            "client": world.mine.pk,
            "full_name": "Third POC",
            "kind": "employee",
            "level": "poc",
            "is_active": "on",
            "absences-TOTAL_FORMS": "0",
            "absences-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "extra POC" in response.context["adminform"].form.errors["level"][0]
    assert not Person.objects.filter(full_name="Third POC").exists()


def test_r3_activation_from_the_admin_shows_the_refusal_and_then_succeeds(client, world):
    agreement = world.objects["mine"]["agreement"]
    Agreement.objects.filter(pk=agreement.pk).update(backup_service="", backup_monthly_price=None)
    billing = make_staff("billing").user
    client.force_login(billing)
    change_url = reverse("admin:agreements_agreement_change", args=[agreement.pk])
    page = client.get(change_url).content.decode()
    assert "Cannot be activated yet" in page and "Server Backup" in page
    response = client.post(reverse("admin:agreements_agreement_activate", args=[agreement.pk]), follow=True)
    assert "Not activated" in response.content.decode() and "(R3)" in response.content.decode()
    assert Agreement.objects.get(pk=agreement.pk).status == "draft"

    Agreement.objects.filter(pk=agreement.pk).update(backup_service="server_backup_dr", backup_monthly_price=800)
    client.post(reverse("admin:agreements_agreement_activate", args=[agreement.pk]))
    assert Agreement.objects.get(pk=agreement.pk).status == "active"
    assert AuditEntry.objects.filter(action="activate", actor=billing).exists()


def test_activation_and_termination_need_the_lifecycle_role_and_scope(client, world):
    theirs = world.objects["theirs"]["agreement"]
    url = reverse("admin:agreements_agreement_activate", args=[theirs.pk])
    pm = make_staff("onboarding_pm")
    world.mine.team.add(pm)
    assert_isolated(
        client,
        url,
        method="post",
        owner=world.admin,
        outsider=world.advisor,
        wrong_role=make_staff("technician").user,
        state=lambda: Agreement.objects.get(pk=theirs.pk).status,
    )
    assert Agreement.objects.get(pk=theirs.pk).status == "active"
    terminate = reverse("admin:agreements_agreement_terminate", args=[theirs.pk])
    client.force_login(world.admin)
    response = client.post(terminate, {"reason": ""})
    assert response.status_code == 200 and Agreement.objects.get(pk=theirs.pk).status == "active"
    client.post(terminate, {"reason": "Client sold the business", "ends_on": "2026-12-31"})
    assert Agreement.objects.get(pk=theirs.pk).status == "terminated"


def test_an_admin_edit_is_audited_with_before_and_after(client, world):
    site = world.objects["mine"]["site"]
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:tenancy_site_change", args=[site.pk]),
        {
            "client": world.mine.pk,
            "name": "Head office",
            "city": "Troy",
            "country": "US",
            "is_office": "on",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    entry = AuditEntry.objects.filter(object_type="tenancy.site", action="update").latest("id")
    assert entry.actor == world.admin
    assert entry.changes["name"][1] == "Head office" and entry.changes["city"] == ["Albany", "Troy"]


def test_absence_inline_refuses_an_absence_for_a_non_poc(client, world):
    end_user = PersonFactory(client=world.mine, level="end_user")
    client.force_login(world.admin)
    start = timezone.now() + dt.timedelta(days=1)
    response = client.post(
        reverse("admin:tenancy_person_change", args=[end_user.pk]),
        {
            "client": world.mine.pk,
            "full_name": end_user.full_name,
            "kind": "employee",
            "level": "end_user",
            "is_active": "on",
            "absences-TOTAL_FORMS": "1",
            "absences-INITIAL_FORMS": "0",
            "absences-0-kind": "pto",
            "absences-0-starts_at_0": start.strftime("%Y-%m-%d"),
            "absences-0-starts_at_1": "09:00:00",
            "absences-0-ends_at_0": (start + dt.timedelta(days=2)).strftime("%Y-%m-%d"),
            "absences-0-ends_at_1": "17:00:00",
        },
    )
    assert response.status_code == 200
    assert not Absence.objects.filter(person=end_user).exists()
    errors = [form.errors for formset in response.context["inline_admin_formsets"] for form in formset.formset]
    assert "not a POC" in str(errors), errors


def test_supported_offices_of_another_client_are_refused_in_the_admin_form(client, world):
    """R26: the admin only offers sites in scope, and the form refuses another client's site."""
    agreement: Agreement = world.objects["mine"]["agreement"]
    foreign: Site = world.objects["theirs"]["site"]
    client.force_login(world.admin)
    page = client.get(reverse("admin:agreements_agreement_change", args=[agreement.pk]))
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.update(
        {
            "offices": [foreign.pk],
            "covered_device_classes": ["server"],
            "listed_applications-TOTAL_FORMS": "0",
            "listed_applications-INITIAL_FORMS": "0",
        }
    )
    data = {k: v for k, v in data.items() if k != "client"}
    response = client.post(reverse("admin:agreements_agreement_change", args=[agreement.pk]), data)
    assert response.status_code == 200
    assert "offices" in response.context["adminform"].form.errors  # not even offered
    assert not agreement.supported_offices.exists()
    assert VendorCoverage.objects.count() == 2


def test_r26_the_sites_list_shows_which_offices_the_active_agreement_supports(client, world):
    from comanaged.agreements.services import agreement_activate, agreement_save

    agreement = world.objects["mine"]["agreement"]
    supported = world.objects["mine"]["site"]
    other = SiteFactory(client=world.mine, name="Home office")
    agreement_save(agreement=agreement, actor=None, supported_offices=[supported])
    agreement_activate(agreement=agreement, actor=None)
    client.force_login(world.admin)
    rows = client.get(reverse("admin:tenancy_site_changelist"), {"supported": "yes"}).context["cl"].result_list
    assert supported in rows and other not in rows


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:tenancy_vertical_add",
        "admin:tenancy_skill_add",
        "admin:tenancy_staffprofile_add",
        "admin:tenancy_user_add",
    ],
)
def test_only_admins_change_the_provider_catalogue_and_staff(client, world, url_name):
    from comanaged.tenancy.models import Skill, StaffProfile, Vertical

    def counts():
        return (Vertical.objects.count(), Skill.objects.count(), StaffProfile.objects.count(), User.objects.count())

    dispatcher = make_staff("dispatcher").user
    before = counts()
    client.force_login(dispatcher)
    response = client.post(reverse(url_name), {"name": "Legal", "slug": "legal", "email": "x@y.test"})
    assert response.status_code == 403
    assert counts() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"plan": "platinum", "included_pocs": "-3", "backup_monthly_price": "ten dollars"},
        {"plan": "co_managed", "starts_on": "2026-02-30", "ends_on": "not a date", "vip_monthly_fee": "1e999"},
        {
            "plan": "co_managed",
            "covered_device_classes": ["toaster"],
            "strategic_advisor": "999999",
            "end_user_monthly_fee": "-1",
            "extra_poc_monthly_fee": "12345678901234.99",
        },
        {"plan": "co_managed", "client": "' OR 1=1 --", "notes": "\x00" * 10},
    ],
)
def test_garbage_in_the_agreement_form_is_refused_with_errors_never_a_500(client, world, payload):
    client.force_login(world.admin)
    before = Agreement.objects.count()
    response = client.post(
        reverse("admin:agreements_agreement_add"),
        {
            **payload,
            "listed_applications-TOTAL_FORMS": "0",
            "listed_applications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert Agreement.objects.count() == before


def test_setting_a_password_in_the_admin_is_audited_without_the_password(client, world):
    target = make_staff("technician").user
    client.force_login(world.admin)
    response = client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {"password1": "a-new-long-passphrase-42", "password2": "a-new-long-passphrase-42", "usable_password": "true"},
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="password_set", object_id=str(target.pk))
    assert entry.actor == world.admin and "passphrase" not in str(entry.changes)


def test_the_absence_form_offers_only_pocs(client, world):
    client.force_login(world.admin)
    form = client.get(reverse("admin:tenancy_absence_add")).context["adminform"].form
    assert set(form.fields["person"].queryset.values_list("level", flat=True)) == {"poc"}


def test_r26_supported_offices_are_edited_in_the_admin(client, world):
    agreement: Agreement = world.objects["mine"]["agreement"]
    own = world.objects["mine"]["site"]
    client.force_login(world.admin)
    form = client.get(reverse("admin:agreements_agreement_change", args=[agreement.pk])).context["adminform"].form
    assert set(form.fields["offices"].queryset) == {own}
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data = {k: v for k, v in data.items() if k != "client"}
    data.update(
        {
            "offices": [own.pk],
            "covered_device_classes": ["server"],
            "listed_applications-TOTAL_FORMS": "0",
            "listed_applications-INITIAL_FORMS": "0",
        }
    )
    response = client.post(reverse("admin:agreements_agreement_change", args=[agreement.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(agreement.supported_offices.all()) == [own]
