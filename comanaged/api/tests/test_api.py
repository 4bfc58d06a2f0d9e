"""The REST API: tokens, pagination, the error shape, and the contract's writes and questions."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from openapi_spec_validator import validate

from comanaged.agreements.models import Agreement, VendorCoverage
from comanaged.agreements.tests.factories import AgreementFactory, VendorCoverageFactory
from comanaged.api.models import ApiToken, digest
from comanaged.api.tests.conftest import bearer
from comanaged.kb.testing import document_runbooks
from comanaged.tenancy.models import Absence, Client, Person
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, SiteFactory, make_staff, sign_in_person

pytestmark = pytest.mark.django_db

JSON = "application/json"


def post(http, url, data):
    return http.post(url, json.dumps(data), content_type=JSON)


def patch(http, url, data):
    return http.patch(url, json.dumps(data), content_type=JSON)


@pytest.fixture
def admin():
    return make_staff("admin").user


# --- OpenAPI ---------------------------------------------------------------------------------


def test_openapi_is_served_and_valid_3_1(client, admin):
    client.force_login(admin)
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert spec["openapi"].startswith("3.1")
    validate(spec)
    assert "/api/v1/policy/may-escalate" in spec["paths"]
    assert client.get("/api/docs").status_code == 200


# --- tokens ----------------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_as_its_digest(client, admin):
    client.force_login(admin)
    response = post(client, "/api/v1/tokens", {"name": "PSA sync", "scope": "read", "expires_in_days": 30})
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("cmg_") and len(token) > 40
    row = ApiToken.objects.get()
    assert row.digest == digest(token) and token not in (row.hint, row.digest)
    listed = client.get("/api/v1/tokens").json()
    assert "token" not in listed[0] and listed[0]["hint"] == token[:10]


def test_a_token_authenticates_and_records_its_last_use(admin):
    http = bearer(admin, "read")
    assert http.get("/api/v1/clients").status_code == 200
    assert ApiToken.objects.get().last_used_at is not None


@pytest.mark.parametrize("state", ["revoked", "expired", "wrong", "inactive_user"])
def test_revoked_expired_or_unknown_tokens_are_refused(admin, state):
    http = bearer(admin, "write")
    row = ApiToken.objects.get()
    if state == "revoked":
        row.revoked_at = timezone.now()
        row.save()
    elif state == "expired":
        row.expires_at = timezone.now() - dt.timedelta(seconds=1)
        row.save()
    elif state == "inactive_user":
        admin.is_active = False
        admin.save()
    else:
        http = HttpClient(HTTP_AUTHORIZATION="Bearer cmg_not-a-real-token")
    response = http.get("/api/v1/clients")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_a_read_only_token_cannot_write_and_nothing_is_saved(admin):
    http = bearer(admin, "read")
    response = post(http, "/api/v1/clients", {"name": "Sneaky Inc", "code": "sneaky"})
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Client.objects.filter(code="sneaky").exists()


def test_revoking_a_token_through_the_api(client, admin):
    client.force_login(admin)
    token_id = post(client, "/api/v1/tokens", {"name": "x"}).json()["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 204
    assert ApiToken.objects.get(pk=token_id).revoked_at is not None
    other = make_staff("admin").user
    client.force_login(other)
    assert client.delete(f"/api/v1/tokens/{token_id}").status_code == 404


# --- pagination ------------------------------------------------------------------------------


def test_cursor_pagination_walks_every_row_once_with_link_headers(admin):
    for n in range(7):
        ClientFactory(name=f"Client {n:02d}", code=f"c{n}")
    http = bearer(admin)
    seen, url = [], "/api/v1/clients?limit=3&ordering=-name"
    pages = 0
    while url:
        response = http.get(url)
        assert response.status_code == 200
        body = response.json()
        seen += [item["name"] for item in body["items"]]
        url = body["next"]
        pages += 1
        if url:
            assert response["Link"] == f'<{url}>; rel="next"'
        else:
            assert "Link" not in response
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 7
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=1001", "limit"),
        ("limit=0", "limit"),
        ("ordering=password", "ordering"),
        ("cursor=bm90IGpzb24", "cursor"),
        ("cursor=%%%", "cursor"),
        ("limit=ten", "limit"),
    ],
)
def test_bad_paging_parameters_are_clear_4xx(admin, query, field):
    response = bearer(admin).get(f"/api/v1/clients?{query}")
    assert response.status_code in (400, 422)
    assert response.json()["field"] == field


def test_filters_narrow_the_list(admin):
    ClientFactory(name="Acme", code="acme")
    ClientFactory(name="Brightside", code="bright", is_active=False)
    http = bearer(admin)
    assert [c["name"] for c in http.get("/api/v1/clients?q=acm").json()["items"]] == ["Acme"]
    assert [c["name"] for c in http.get("/api/v1/clients?is_active=false").json()["items"]] == ["Brightside"]


# --- bad input -------------------------------------------------------------------------------


def test_unknown_fields_wrong_types_and_bad_json_are_refused_with_the_error_shape(admin):
    http = bearer(admin)
    unknown = post(http, "/api/v1/clients", {"name": "X", "code": "x", "is_superuser": True})
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown_field" and unknown.json()["field"] == "is_superuser"
    wrong = post(http, "/api/v1/sites", {"client_id": "seven", "name": "HQ"})
    assert wrong.status_code == 422 and wrong.json()["field"] == "client_id"
    broken = http.post("/api/v1/clients", "{not json", content_type=JSON)
    assert broken.status_code == 400 and set(broken.json()) == {"code", "message", "field", "problems"}
    assert Client.objects.count() == 0


def test_an_oversize_body_is_a_413(admin):
    response = post(bearer(admin), "/api/v1/clients", {"name": "X", "code": "x", "notes": "a" * (1024 * 1024 + 1)})
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert Client.objects.count() == 0


def test_another_clients_id_in_a_body_is_not_found_and_nothing_is_saved():
    mine, theirs = ClientFactory(), ClientFactory()
    advisor = make_staff("onboarding_pm")
    mine.team.add(advisor)
    response = post(bearer(advisor.user), "/api/v1/sites", {"client_id": theirs.pk, "name": "Trojan office"})
    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "message": "No such client.",
        "field": "client_id",
        "problems": [{"code": "not_found", "message": "No such client.", "field": "client_id"}],
    }
    assert not theirs.sites.exists()


def test_a_time_zone_that_does_not_exist_names_its_field(admin):
    response = post(bearer(admin), "/api/v1/clients", {"name": "Mars Base", "code": "mars", "time_zone": "Mars/Base"})
    assert response.status_code == 400
    assert response.json()["field"] == "time_zone" and response.json()["code"] == "unknown_time_zone"


def test_naive_datetimes_are_refused(admin):
    poc = PersonFactory(level="poc")
    response = post(
        bearer(admin),
        "/api/v1/absences",
        {"person_id": poc.pk, "starts_at": "2026-12-01T09:00:00", "ends_at": "2026-12-02T09:00:00"},
    )
    assert response.status_code == 422 and response.json()["field"] == "starts_at"
    assert not Absence.objects.exists()


# --- the contract through the API ------------------------------------------------------------


def test_r3_activation_through_the_api_names_the_missing_backup_then_succeeds():
    agreement = AgreementFactory(backup_service="", backup_monthly_price=None)
    http = bearer(make_staff("billing").user)
    refused = http.post(f"/api/v1/agreements/{agreement.pk}/activate")
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "backup_required" and body["field"] == "backup_service"
    assert {p["field"] for p in body["problems"]} == {"backup_service", "backup_monthly_price"}
    assert Agreement.objects.get(pk=agreement.pk).status == "draft"
    fixed = patch(
        http,
        f"/api/v1/agreements/{agreement.pk}",
        {"backup_service": "server_backup_dr", "backup_monthly_price": "890.00"},
    )
    assert fixed.status_code == 200, fixed.json()
    activated = http.post(f"/api/v1/agreements/{agreement.pk}/activate")
    assert activated.status_code == 200 and activated.json()["status"] == "active"


def test_creating_an_agreement_with_another_clients_office_is_refused():
    mine, theirs = ClientFactory(), ClientFactory()
    foreign_site = SiteFactory(client=theirs)
    pm = make_staff("onboarding_pm")
    mine.team.add(pm)
    response = post(
        bearer(pm.user), "/api/v1/agreements", {"client_id": mine.pk, "supported_office_ids": [foreign_site.pk]}
    )
    assert response.status_code == 404 and response.json()["field"] == "supported_office_ids"
    assert not Agreement.objects.exists()


def test_terminate_needs_a_reason():
    agreement = AgreementFactory()
    http = bearer(make_staff("billing").user)
    http.post(f"/api/v1/agreements/{agreement.pk}/activate")
    assert post(http, f"/api/v1/agreements/{agreement.pk}/terminate", {"reason": " "}).status_code == 400
    done = post(http, f"/api/v1/agreements/{agreement.pk}/terminate", {"reason": "Sold", "ends_on": "2026-12-31"})
    assert done.status_code == 200 and done.json()["status"] == "terminated"


def test_r28_support_pin_is_write_only():
    coverage_client = ClientFactory()
    http = bearer(make_staff("dispatcher").user)
    response = post(
        http,
        "/api/v1/vendor-coverage",
        {
            "client_id": coverage_client.pk,
            "vendor": "Dell",
            "covers": "Servers",
            "support_pin": "483920",
            "provider_is_authorized_user": True,
        },
    )
    assert response.status_code == 201
    assert response.json()["has_support_pin"] is True and "483920" not in response.content.decode()
    assert VendorCoverage.objects.get().support_pin.reveal() == "483920"


def test_r11_a_poc_records_their_own_pto_but_not_someone_elses():
    client = ClientFactory()
    poc, other_poc = PersonFactory(client=client, level="poc"), PersonFactory(client=client, level="poc")
    end_user = PersonFactory(client=client, level="end_user")
    start = timezone.now() + dt.timedelta(days=3)
    period = {"starts_at": start.isoformat(), "ends_at": (start + dt.timedelta(days=2)).isoformat()}
    http = bearer(sign_in_person(poc))
    assert post(http, "/api/v1/absences", {"person_id": poc.pk, **period}).status_code == 201
    assert post(http, "/api/v1/absences", {"person_id": other_poc.pk, **period}).status_code == 403
    assert (
        post(bearer(sign_in_person(end_user)), "/api/v1/absences", {"person_id": end_user.pk, **period}).status_code
        == 403
    )
    assert list(Absence.objects.values_list("person_id", flat=True)) == [poc.pk]


def test_policy_questions_answer_with_rules():
    agreement = AgreementFactory(plan="co_managed")
    http = bearer(make_staff("dispatcher").user)
    poc = PersonFactory(client=agreement.client, level="poc")
    end_user = PersonFactory(client=agreement.client, level="end_user")
    http.post(f"/api/v1/agreements/{agreement.pk}/activate")
    Agreement.objects.filter(pk=agreement.pk).update(status="active")
    assert post(http, "/api/v1/policy/may-escalate", {"person_id": poc.pk, "priority": "P4"}).json()["allowed"]
    refused = post(http, "/api/v1/policy/may-escalate", {"person_id": end_user.pk, "priority": "P1"}).json()
    assert refused["allowed"] is False and refused["route_to_poc"] and refused["rules"] == ["R10"]
    phone = post(
        http, "/api/v1/policy/device-coverage", {"agreement_id": agreement.pk, "device_class": "voip_phone"}
    ).json()
    assert phone["allowed"] and "connectivity" in phone["scope_limit"]
    cost = post(
        http,
        "/api/v1/policy/provisioning-cost",
        {"agreement_id": agreement.pk, "configuration": "standard", "delivery": "on_site", "quantity": 2},
    ).json()
    assert cost["total"] in ("1100.00", 1100.0, "1100") and cost["currency"] == "USD"
    listed = post(http, "/api/v1/policy/application-listed", {"agreement_id": agreement.pk, "name": "Unknown"}).json()
    assert listed["code"] == "application_not_listed"
    VendorCoverageFactory(client=agreement.client)
    vendor = post(http, "/api/v1/policy/vendor-escalation", {"client_id": agreement.client_id}).json()
    assert vendor["allowed"] and vendor["coverage_id"]
    bad_priority = post(http, "/api/v1/policy/may-escalate", {"person_id": poc.pk, "priority": "P9"})
    assert bad_priority.status_code == 422 and bad_priority.json()["field"] == "priority"


def test_people_writes_follow_the_rules_r6_r2():
    agreement = AgreementFactory(extra_poc_monthly_fee=None)
    PersonFactory.create_batch(2, client=agreement.client, level="poc")
    http = bearer(make_staff("dispatcher").user)
    vip_mailbox = post(
        http,
        "/api/v1/people",
        {"client_id": agreement.client_id, "full_name": "shared@", "kind": "shared_mailbox", "level": "vip"},
    )
    assert vip_mailbox.status_code == 400 and vip_mailbox.json()["code"] == "level_requires_person"
    third = post(http, "/api/v1/people", {"client_id": agreement.client_id, "full_name": "Third", "level": "poc"})
    assert third.status_code == 400 and third.json()["code"] == "extra_poc_fee_required"
    assert Person.objects.count() == 2


@pytest.mark.parametrize(
    ("path", "factory", "payload"),
    [
        ("clients", ClientFactory, {"notes": None}),
        ("people", PersonFactory, {"phone": None}),
        ("sites", SiteFactory, {"address_line1": None, "city": None}),
        ("agreements", AgreementFactory, {"included_pocs": None, "provisioning_standard_remote": None}),
    ],
)
def test_explicit_nulls_in_required_columns_are_a_400_not_a_500(admin, path, factory, payload):
    """Found by schemathesis: a JSON null must be refused with the error shape, saving nothing."""
    obj = factory()
    response = patch(bearer(admin), f"/api/v1/{path}/{obj.pk}", payload)
    assert response.status_code == 400, response.content
    assert response.json()["field"] in payload


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("get", "/api/v1/people?client_id=1000000000000000000000000000000", None),
        ("get", "/api/v1/clients/1000000000000000000000000000000", None),
        ("get", "/api/v1/absences?active_at=0001-01-01T00:00:00Z", None),
        ("get", "/api/v1/clients?cursor=eyJvIjoibmFtZSIsInYiOiJ4IiwiaWQiOjFlNDAwfQ", None),
        ("post", "/api/v1/policy/vendor-escalation", {"client_id": 1, "coverage_ids": [10**30]}),
        ("post", "/api/v1/policy/may-escalate", {"person_id": 1, "priority": "P1", "at": "0001-01-01T00:00:00Z"}),
        (
            "post",
            "/api/v1/policy/device-coverage",
            {"agreement_id": 1, "device_class": "server", "ownership": "garbage"},
        ),
        ("post", "/api/v1/sites", {"client_id": 10**30, "name": "x"}),
    ],
)
def test_out_of_range_ids_dates_and_choices_are_4xx_not_500(admin, method, url, payload):
    """Found in review: huge ids and far-off dates overflowed the database or the time-zone maths."""
    ClientFactory()
    http = bearer(admin)
    response = http.get(url) if method == "get" else post(http, url, payload)
    assert 400 <= response.status_code < 500, response.content
    assert set(response.json()) == {"code", "message", "field", "problems"}


def test_an_end_user_reads_only_the_pocs_and_no_internal_notes():
    agreement = AgreementFactory(notes="internal: margin is thin")
    client_obj = agreement.client
    Client.objects.filter(pk=client_obj.pk).update(notes="internal: slow payer")
    poc = PersonFactory(client=client_obj, level="poc")
    colleague = PersonFactory(client=client_obj, level="end_user")
    me = PersonFactory(client=client_obj, level="end_user")
    http = bearer(sign_in_person(me))
    people = {p["id"] for p in http.get("/api/v1/people").json()["items"]}
    assert people == {poc.pk, me.pk} and colleague.pk not in people
    assert http.get(f"/api/v1/people/{colleague.pk}").status_code == 404
    for path in ("agreements", "vendor-coverage", "clients", "sites"):
        assert http.get(f"/api/v1/{path}").status_code == 403
    poc_http = bearer(sign_in_person(poc))
    body = poc_http.get(f"/api/v1/agreements/{agreement.pk}").json()
    assert body["notes"] == "" and poc_http.get(f"/api/v1/clients/{client_obj.pk}").json()["notes"] == ""
    staff_body = bearer(make_staff("dispatcher").user).get(f"/api/v1/agreements/{agreement.pk}").json()
    assert staff_body["notes"] == "internal: margin is thin"


def test_r26_a_supported_office_cannot_be_deleted_from_under_the_agreement():
    agreement = AgreementFactory()
    office = SiteFactory(client=agreement.client)
    from comanaged.agreements.services import agreement_save

    agreement_save(agreement=agreement, actor=None, supported_offices=[office])
    http = bearer(make_staff("dispatcher").user)
    response = http.delete(f"/api/v1/sites/{office.pk}")
    assert response.status_code == 409 and response.json()["code"] == "conflict"
    assert list(agreement.supported_offices.all()) == [office]


def test_r22_r26_scope_questions_need_an_active_agreement():
    draft = AgreementFactory()
    http = bearer(make_staff("dispatcher").user)
    refused = post(http, "/api/v1/policy/device-coverage", {"agreement_id": draft.pk, "device_class": "server"})
    assert refused.status_code == 400 and refused.json()["code"] == "agreement_not_active"
    quote = post(
        http,
        "/api/v1/policy/provisioning-cost",
        {"agreement_id": draft.pk, "configuration": "standard", "delivery": "remote", "quantity": 1},
    )
    assert quote.status_code == 200  # a price can be quoted from a draft


def test_list_queries_do_not_grow_with_the_page(admin, django_assert_max_num_queries):
    """No N+1: a page of 50 agreements costs the same handful of queries as a page of 5."""
    for _ in range(50):
        AgreementFactory()
    http = bearer(admin)
    http.get("/api/v1/agreements?limit=5")
    with django_assert_max_num_queries(12):
        assert http.get("/api/v1/agreements?limit=50").status_code == 200
    with django_assert_max_num_queries(12):
        assert http.get("/api/v1/clients?limit=50").status_code == 200


def test_r27_end_user_coverage_follows_the_knowledge_base_runbooks_not_the_caller():
    agreement = AgreementFactory(plan="co_managed_plus")
    from comanaged.agreements.services import agreement_activate

    agreement_activate(agreement=agreement, actor=None)
    PersonFactory(client=agreement.client, level="poc")
    end_user = PersonFactory(client=agreement.client, level="end_user")
    http = bearer(make_staff("dispatcher").user)
    after_hours = "2026-06-10T03:00:00Z"  # 23:00 in New York
    asked = {"person_id": end_user.pk, "priority": "P1", "at": after_hours}
    assert post(http, "/api/v1/policy/may-escalate", {**asked, "runbooks_complete": True}).status_code == 422
    refused = post(http, "/api/v1/policy/may-escalate", asked).json()
    assert refused["code"] == "runbooks_incomplete" and "R27" in refused["rules"]
    document_runbooks(agreement.client)  # the knowledge base's R27 checklist, now complete
    assert post(http, "/api/v1/policy/may-escalate", asked).json()["allowed"] is True
