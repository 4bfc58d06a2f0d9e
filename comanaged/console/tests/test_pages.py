"""Console pages: isolated per the part-1 kit, lists that work, forms that refuse bad input."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from comanaged.agreements.models import Agreement
from comanaged.agreements.tests.factories import AgreementFactory, VendorCoverageFactory
from comanaged.core.testing import assert_isolated
from comanaged.tenancy.models import Client, Person
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, SiteFactory, make_staff, sign_in_person

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture
def world():
    mine, theirs = ClientFactory(name="Mine Co"), ClientFactory(name="Theirs Co")
    advisor = make_staff("onboarding_pm")
    mine.team.add(advisor)
    objs = {}
    for label, client in (("mine", mine), ("theirs", theirs)):
        objs[label] = {
            "client": client,
            "site": SiteFactory(client=client),
            "person": PersonFactory(client=client, level="poc"),
            "agreement": AgreementFactory(client=client),
            "coverage": VendorCoverageFactory(client=client),
        }
    poc_user = sign_in_person(objs["mine"]["person"])
    return {"objs": objs, "admin": make_staff("admin").user, "outsider": advisor.user, "poc": poc_user}


LIST_PAGES = ["console:dashboard", "console:clients", "console:people", "console:agreements", "console:coverage"]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_console_lists_need_staff(client, world, name):
    """Anonymous → sign in; a client's POC → 403; staff → the page."""
    assert_isolated(client, reverse(name), owner=world["admin"], wrong_role=world["poc"], login_path=LOGIN)


OBJECT_PAGES = [
    ("console:client", "client"),
    ("console:client_edit", "client"),
    ("console:person_edit", "person"),
    ("console:agreement", "agreement"),
    ("console:agreement_edit", "agreement"),
    ("console:coverage_edit", "coverage"),
]


@pytest.mark.parametrize(("name", "key"), OBJECT_PAGES)
def test_another_clients_object_page_is_a_404(client, world, name, key):
    url = reverse(name, args=[world["objs"]["theirs"][key].pk])
    assert_isolated(
        client, url, owner=world["admin"], outsider=world["outsider"], wrong_role=world["poc"], login_path=LOGIN
    )


@pytest.mark.parametrize("name", ["console:agreement_activate", "console:agreement_terminate"])
def test_lifecycle_posts_are_isolated_and_change_nothing_when_refused(client, world, name):
    agreement = world["objs"]["theirs"]["agreement"]
    assert_isolated(
        client,
        reverse(name, args=[agreement.pk]),
        method="post",
        data={"reason": "x"},
        owner=world["admin"],
        outsider=world["outsider"],
        wrong_role=make_staff("technician").user,
        state=lambda: Agreement.objects.get(pk=agreement.pk).status,
        login_path=LOGIN,
    )


def test_edit_posts_of_another_client_change_nothing(client, world):
    theirs = world["objs"]["theirs"]["client"]
    client.force_login(world["outsider"])
    response = client.post(reverse("console:client_edit", args=[theirs.pk]), {"name": "Hijacked", "code": "x"})
    assert response.status_code == 404
    assert Client.objects.get(pk=theirs.pk).name == "Theirs Co"


def test_lists_show_only_clients_in_scope(client, world):
    client.force_login(world["outsider"])
    page = client.get(reverse("console:clients")).content.decode()
    assert "Mine Co" in page and "Theirs Co" not in page
    page = client.get(reverse("console:agreements")).content.decode()
    assert world["objs"]["mine"]["agreement"].reference in page
    assert world["objs"]["theirs"]["agreement"].reference not in page


def test_search_filter_sort_and_csv(client, world):
    ClientFactory(name='=HYPERLINK("http://evil")', code="evil")
    client.force_login(world["admin"])
    assert "Theirs Co" not in client.get(reverse("console:clients"), {"q": "mine"}).content.decode()
    rows = client.get(reverse("console:clients"), {"sort": "-name"}).context["rows"]
    names = [row[0]["value"] for row in rows]
    assert names == sorted(names, reverse=True)
    response = client.get(reverse("console:clients"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    cells = [row[0] for row in csv.reader(io.StringIO(response.content.decode()))]
    assert cells[0] == "Client"
    assert '\'=HYPERLINK("http://evil")' in cells  # formula-safe: never a live formula
    assert not any(cell.startswith("=") for cell in cells)


def test_unknown_filter_and_sort_values_are_ignored_not_errors(client, world):
    client.force_login(world["admin"])
    response = client.get(reverse("console:agreements"), {"status": "'; DROP TABLE", "sort": "password", "page": "x"})
    assert response.status_code == 200


def test_r3_activation_from_the_console_shows_the_refusal_then_succeeds(client, world):
    agreement = world["objs"]["mine"]["agreement"]
    Agreement.objects.filter(pk=agreement.pk).update(backup_service="", backup_monthly_price=None)
    client.force_login(make_staff("billing").user)
    page = client.get(reverse("console:agreement", args=[agreement.pk])).content.decode()
    assert "Activation check" in page and "required on every agreement (R3)" in page
    response = client.post(reverse("console:agreement_activate", args=[agreement.pk]), follow=True)
    assert "Not activated" in response.content.decode()
    assert Agreement.objects.get(pk=agreement.pk).status == "draft"
    Agreement.objects.filter(pk=agreement.pk).update(backup_service="server_backup", backup_monthly_price=500)
    client.post(reverse("console:agreement_activate", args=[agreement.pk]))
    assert Agreement.objects.get(pk=agreement.pk).status == "active"


def test_forms_show_errors_beside_the_field_and_save_nothing(client, world):
    mine = world["objs"]["mine"]["client"]
    client.force_login(world["admin"])
    response = client.post(
        reverse("console:person_add"),
        {
            "client": mine.pk,
            "full_name": "svc-backup",
            "kind": "service_account",
            "level": "vip",
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "level" in response.context["form"].errors
    assert not Person.objects.filter(full_name="svc-backup").exists()
    response = client.post(
        reverse("console:client_add"),
        {"name": "Nowhere", "code": "nowhere", "time_zone": "Mars/Base", "holiday_country": "US"},
    )
    assert "time_zone" in response.context["form"].errors
    assert not Client.objects.filter(code="nowhere").exists()


def test_a_console_form_cannot_pick_another_clients_site(client, world):
    mine = world["objs"]["mine"]["client"]
    theirs_site = world["objs"]["theirs"]["site"]
    client.force_login(world["outsider"])
    response = client.post(
        reverse("console:person_add"),
        {
            "client": mine.pk,
            "full_name": "Spy",
            "kind": "employee",
            "level": "end_user",
            "site": theirs_site.pk,
        },
    )
    assert response.status_code == 200 and "site" in response.context["form"].errors
    assert not Person.objects.filter(full_name="Spy").exists()


def test_creating_an_agreement_in_the_console(client, world):
    mine = world["objs"]["mine"]["client"]
    pm = make_staff("onboarding_pm")
    mine.team.add(pm)
    client.force_login(pm.user)
    response = client.post(
        reverse("console:agreement_add"),
        {
            "client": mine.pk,
            "plan": "co_managed_plus",
            "included_pocs": "2",
            "provisioning_standard_remote": "150",
            "provisioning_standard_on_site": "550",
            "provisioning_non_standard_remote": "400",
            "provisioning_non_standard_on_site": "700",
            "covered_device_classes": ["server", "workstation"],
        },
    )
    assert response.status_code == 302
    agreement = Agreement.objects.filter(client=mine, plan="co_managed_plus").get()
    assert agreement.status == "draft" and agreement.covered_device_classes == ["server", "workstation"]


def test_api_tokens_page_issues_once_shows_last_use_and_revokes(client, world):
    from comanaged.api.models import ApiToken, digest

    assert_isolated(client, reverse("console:tokens"), owner=world["admin"], wrong_role=world["poc"], login_path=LOGIN)
    client.force_login(world["admin"])
    response = client.post(reverse("console:tokens"), {"name": "PSA sync", "scope": "read", "expires_in_days": "30"})
    token = response.context["issued"]
    assert ApiToken.objects.get().digest == digest(token)
    assert token not in client.get(reverse("console:tokens")).content.decode()  # shown once
    row = ApiToken.objects.get()
    other = make_staff("admin").user
    client.force_login(other)
    assert client.post(reverse("console:token_revoke", args=[row.pk])).status_code == 404  # not theirs
    client.force_login(world["admin"])
    client.post(reverse("console:token_revoke", args=[row.pk]))
    assert ApiToken.objects.get().revoked_at is not None
