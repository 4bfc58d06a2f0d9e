"""The response-terms API (R16, R9, R13): targets per priority with their defaults, the clock's
behaviour, who may read and change them (another client's agreement is a 404, a POC or a
technician may not write), bounds refused with a clear message and nothing saved, every change
audited; and the ResponseTerms admin page, scoped, role-gated and audited."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client as HttpClient
from django.urls import reverse

from comanaged.agreements.choices import AgreementStatus
from comanaged.agreements.models import Agreement
from comanaged.agreements.services import agreement_terminate
from comanaged.api.services import token_issue
from comanaged.core.models import AuditEntry
from comanaged.core.testing import assert_isolated
from comanaged.sla.models import BreachAction, Clock, ResponseTarget, ResponseTerms
from comanaged.sla.schemas import BreachActionCode, ClockCode, PriorityCode
from comanaged.tenancy.models import BusinessHours
from comanaged.tenancy.tests.factories import PersonFactory, make_staff, sign_in_person
from comanaged.tickets.clock.models import ClockState, ResponseClock
from comanaged.tickets.schemas import ClockStateCode
from comanaged.tickets.services import ticket_escalate
from comanaged.tickets.tests.helpers import complete_ticket, make_contract

pytestmark = pytest.mark.django_db


def bearer(user, scope: str = "write") -> HttpClient:
    _, token = token_issue(user=user, name="test", scope=scope, expires_in_days=30)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")


def put(http: HttpClient, url: str, body: Any) -> Any:
    return http.put(url, json.dumps(body), content_type="application/json")


def targets_url(agreement: Agreement, priority: str | None = None) -> str:
    url = f"/api/v1/agreements/{agreement.pk}/response-targets"
    return f"{url}/{priority}" if priority else url


def terms_url(agreement: Agreement) -> str:
    return f"/api/v1/agreements/{agreement.pk}/response-terms"


def state(agreement: Agreement) -> Any:
    return (
        list(ResponseTarget.objects.filter(agreement=agreement).values_list("priority", "respond_minutes", "clock")),
        list(ResponseTerms.objects.filter(agreement=agreement).values_list("warning_percent", "breach_action")),
    )


@pytest.fixture
def contracts():
    """Two clients' active agreements; an onboarding PM on the team of the first only."""
    mine, poc, _ = make_contract()
    theirs, their_poc, _ = make_contract()
    pm = make_staff("onboarding_pm")
    mine.client.team.add(pm)
    return {"mine": mine, "theirs": theirs, "poc": poc, "their_poc": their_poc, "pm": pm}


@pytest.mark.nodb
def test_the_api_literals_match_the_model_choices():
    assert set(PriorityCode.__args__) == {"P1", "P2", "P3", "P4"}
    assert set(ClockCode.__args__) == set(Clock.values)
    assert set(BreachActionCode.__args__) == set(BreachAction.values)
    assert set(ClockStateCode.__args__) == set(ClockState.values)


def test_r16_without_terms_every_priority_shows_its_default():
    agreement, _, _ = make_contract()
    response = bearer(make_staff("technician").user).get(targets_url(agreement))
    assert response.status_code == 200, response.content
    assert [(t["priority"], t["respond_minutes"], t["clock"], t["default"]) for t in response.json()] == [
        ("P1", 60, "24x7", True),
        ("P2", 120, "24x7", True),
        ("P3", 14 * 60, "24x7", True),
        ("P4", 24 * 60, "24x7", True),
    ]


def test_r16_r9_r13_billing_sets_a_priority_then_returns_it_to_the_default_each_audited():
    agreement, _, _ = make_contract()
    billing = make_staff("billing").user
    http = bearer(billing)
    body = {"respond_minutes": 90, "vip_respond_minutes": 30, "resolve_minutes": 600, "clock": "business_hours"}
    response = put(http, targets_url(agreement, "P2"), body)
    assert response.status_code == 200, response.content
    assert response.json() == {"priority": "P2", **body, "default": False}
    listed = {t["priority"]: t for t in http.get(targets_url(agreement)).json()}
    assert (listed["P2"]["respond_minutes"], listed["P2"]["default"], listed["P1"]["default"]) == (90, False, True)
    # A second PUT replaces the row (one per priority) and leaves out the VIP target: the same again.
    response = put(http, targets_url(agreement, "P2"), {"respond_minutes": 100})
    assert response.json()["vip_respond_minutes"] is None and response.json()["clock"] == "24x7"
    assert ResponseTarget.objects.filter(agreement=agreement).count() == 1
    response = http.delete(targets_url(agreement, "P2"))
    assert response.status_code == 200
    assert response.json() == {
        "priority": "P2",
        "respond_minutes": 120,
        "vip_respond_minutes": None,
        "resolve_minutes": None,
        "clock": "24x7",
        "default": True,
    }
    assert not ResponseTarget.objects.filter(agreement=agreement).exists()
    assert http.delete(targets_url(agreement, "P2")).status_code == 200  # already the default: nothing to do
    actions = list(
        AuditEntry.objects.filter(object_type="sla.responsetarget", actor=billing).order_by("id").values_list("action")
    )
    assert actions == [("create",), ("update",), ("delete",)]
    entry = AuditEntry.objects.filter(object_type="sla.responsetarget", action="update").get()
    assert entry.client_id == agreement.client_id and entry.changes["respond_minutes"] == [90, 100]


def test_r9_a_vip_target_set_through_the_api_is_what_a_vip_escalation_is_measured_against():
    agreement, poc, _ = make_contract()
    put(
        bearer(make_staff("admin").user),
        targets_url(agreement, "P2"),
        {"respond_minutes": 120, "vip_respond_minutes": 20},
    )
    vip = PersonFactory(client=agreement.client, level="vip")
    ticket = complete_ticket(agreement, poc, priority="P2", affected_person=vip)
    ticket = ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    clock = ResponseClock.objects.get(ticket=ticket)
    assert (clock.vip, clock.target_seconds) == (True, 20 * 60)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"respond_minutes": 0}, "respond_minutes", "between 1 and 43,200 minutes"),
        ({"respond_minutes": -5}, "respond_minutes", "between 1 and 43,200 minutes"),
        ({"respond_minutes": 43_201}, "respond_minutes", "between 1 and 43,200 minutes"),
        ({"respond_minutes": 10**30}, "respond_minutes", "between 1 and 43,200 minutes"),
        ({"respond_minutes": 60, "vip_respond_minutes": 0}, "vip_respond_minutes", "VIP respond target"),
        ({"respond_minutes": 60, "resolve_minutes": 99_999}, "resolve_minutes", "resolution target"),
        ({"respond_minutes": 1.5}, "respond_minutes", "integer"),
        ({"respond_minutes": "soon"}, "respond_minutes", "integer"),
        ({"respond_minutes": None}, "respond_minutes", "integer"),
        ({}, "respond_minutes", "required"),
        ({"respond_minutes": 60, "clock": "lunar"}, "clock", "24x7"),
        ({"respond_minutes": 60, "client_id": 1}, "client_id", "not permitted"),
    ],
)
def test_r16_targets_out_of_bounds_are_a_422_naming_the_field_and_nothing_is_saved(body, field, words):
    agreement, _, _ = make_contract()
    response = put(bearer(make_staff("admin").user), targets_url(agreement, "P1"), body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field
    assert words in response.json()["message"]
    assert state(agreement) == ([], [])
    assert not AuditEntry.objects.filter(object_type="sla.responsetarget").exists()


def test_an_unknown_priority_in_the_path_is_a_422():
    agreement, _, _ = make_contract()
    response = put(bearer(make_staff("admin").user), targets_url(agreement, "P5"), {"respond_minutes": 60})
    assert response.status_code == 422 and response.json()["field"] == "priority"


def test_r13_the_business_hours_clock_is_refused_while_the_client_has_no_hours_and_nothing_is_saved():
    agreement, _, _ = make_contract()
    BusinessHours.objects.filter(client=agreement.client).delete()
    http = bearer(make_staff("admin").user)
    response = put(http, targets_url(agreement, "P3"), {"respond_minutes": 60, "clock": "business_hours"})
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("no_business_hours", "clock")
    assert "no business hours" in response.json()["message"]
    assert state(agreement) == ([], [])
    assert put(http, targets_url(agreement, "P3"), {"respond_minutes": 60}).status_code == 200  # 24x7 is fine


def test_a_terminated_agreements_terms_are_closed():
    agreement, _, _ = make_contract()
    http = bearer(make_staff("admin").user)
    assert put(http, targets_url(agreement, "P1"), {"respond_minutes": 45}).status_code == 200
    agreement_terminate(agreement=agreement, actor=None, reason="Moved on", ends_on=None)
    assert Agreement.objects.get(pk=agreement.pk).status == AgreementStatus.TERMINATED
    before = state(agreement)
    for response in (
        put(http, targets_url(agreement, "P1"), {"respond_minutes": 30}),
        http.delete(targets_url(agreement, "P1")),
        put(http, terms_url(agreement), {"warning_percent": 50}),
    ):
        assert response.status_code == 400 and response.json()["code"] == "agreement_terminated"
    assert state(agreement) == before


def test_r16_the_clocks_terms_default_then_change_audited_and_apply_to_clocks_started_afterwards():
    agreement, poc, _ = make_contract()
    admin = make_staff("admin").user
    http = bearer(admin)
    assert http.get(terms_url(agreement)).json() == {
        "warning_percent": 75,
        "pause_waiting_on_client": False,
        "pause_waiting_on_vendor": False,
        "breach_action": "notify",
        "default": True,
    }
    before = ticket_escalate(ticket=complete_ticket(agreement, poc, priority="P2"), actor=None, escalating_person=poc)
    body = {"warning_percent": 50, "pause_waiting_on_client": True, "breach_action": "raise_tier"}
    response = put(http, terms_url(agreement), body)
    assert response.status_code == 200, response.content
    assert response.json() == {**body, "pause_waiting_on_vendor": False, "default": False}
    # A field left out takes its default: PUT replaces the whole terms.
    assert put(http, terms_url(agreement), {"warning_percent": 60}).json()["breach_action"] == "notify"
    assert ResponseTerms.objects.filter(agreement=agreement).count() == 1
    actions = list(AuditEntry.objects.filter(object_type="sla.responseterms").order_by("id").values_list("action"))
    assert actions == [("create",), ("update",)]
    after = ticket_escalate(ticket=complete_ticket(agreement, poc, priority="P2"), actor=None, escalating_person=poc)
    warning = dict(ResponseClock.objects.filter(ticket__in=[before, after]).values_list("ticket_id", "warning_percent"))
    assert warning == {before.pk: 75, after.pk: 60}  # the running clock was not re-targeted
    assert "started after the change" in http.get("/api/openapi.json").content.decode()


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"warning_percent": 0}, "warning_percent", "between 1 and 99 percent"),
        ({"warning_percent": 100}, "warning_percent", "between 1 and 99 percent"),
        ({"warning_percent": -1}, "warning_percent", "between 1 and 99 percent"),
        ({"breach_action": "panic"}, "breach_action", "notify"),
        ({"pause_waiting_on_client": "maybe"}, "pause_waiting_on_client", "boolean"),
        ({"warning_percent": 50, "extra": True}, "extra", "not permitted"),
    ],
)
def test_r16_bad_terms_are_a_422_naming_the_field_and_nothing_is_saved(body, field, words):
    agreement, _, _ = make_contract()
    response = put(bearer(make_staff("admin").user), terms_url(agreement), body)
    assert response.status_code == 422, response.content
    assert response.json()["field"] == field and words in response.json()["message"]
    assert state(agreement) == ([], [])


WRITES = [
    ("put", lambda a: targets_url(a, "P1"), {"respond_minutes": 30}),
    ("delete", lambda a: targets_url(a, "P1"), None),
    ("put", terms_url, {"warning_percent": 50}),
]
READS = [lambda a: targets_url(a), terms_url]


def send(http: HttpClient, method: str, url: str, body: Any) -> Any:
    return put(http, url, body) if method == "put" else getattr(http, method)(url)


@pytest.mark.parametrize(("method", "url", "body"), WRITES)
def test_r16_isolation_another_clients_agreement_is_a_404_and_poc_or_technician_may_not_write(
    contracts, method, url, body
):
    mine, theirs = contracts["mine"], contracts["theirs"]
    ResponseTarget.objects.create(agreement=mine, client=mine.client, priority="P1", respond_minutes=50)
    ResponseTarget.objects.create(agreement=theirs, client=theirs.client, priority="P1", respond_minutes=50)
    before = (state(mine), state(theirs))
    poc = bearer(sign_in_person(contracts["poc"]))
    refusals = [
        (HttpClient(), url(mine), 401),  # anonymous
        (poc, url(mine), 403),  # a POC reads their terms, never writes them
        (bearer(make_staff("technician").user), url(mine), 403),
        (bearer(make_staff("dispatcher").user), url(mine), 403),
        (bearer(make_staff("billing").user, scope="read"), url(mine), 403),  # a read-only token
        (poc, url(theirs), 404),  # another client's agreement: exactly like a missing one
        (bearer(contracts["pm"].user), url(theirs), 404),  # staff outside their clients
        (bearer(make_staff("admin").user), url(Agreement(pk=2**62)), 404),
    ]
    for http, address, status in refusals:
        response = send(http, method, address, body)
        assert response.status_code == status, (address, response.content)
        assert set(response.json()) >= {"code", "message"}
    assert (state(mine), state(theirs)) == before
    assert not AuditEntry.objects.filter(object_type__startswith="sla.").exists()
    # The onboarding PM of this client's team may edit its agreements.
    assert send(bearer(contracts["pm"].user), method, url(mine), body).status_code == 200


@pytest.mark.parametrize("url", READS)
def test_r16_isolation_reading_terms_follows_the_agreement(contracts, url):
    mine, theirs = contracts["mine"], contracts["theirs"]
    poc = bearer(sign_in_person(contracts["poc"]))
    assert poc.get(url(mine)).status_code == 200  # the portal shows the POC their targets
    assert poc.get(url(theirs)).status_code == 404
    assert bearer(contracts["pm"].user).get(url(theirs)).status_code == 404
    assert bearer(contracts["pm"].user).get(url(mine)).status_code == 200
    end_user = make_contract()[2]
    assert bearer(sign_in_person(end_user)).get(url(mine)).status_code == 403
    assert HttpClient().get(url(mine)).status_code == 401


def test_the_terms_admin_page_is_scoped_role_gated_and_audited(client, contracts):
    mine, theirs = contracts["mine"], contracts["theirs"]
    terms = ResponseTerms.objects.create(agreement=theirs, client=theirs.client)
    assert_isolated(
        client,
        reverse("admin:sla_responseterms_change", args=[terms.pk]),
        method="post",
        data={"agreement": theirs.pk, "warning_percent": 40, "breach_action": "return_to_queue"},
        owner=make_staff("billing").user,
        wrong_role=make_staff("technician").user,
        outsider=contracts["pm"].user,  # on the team of the other client only
        state=lambda: ResponseTerms.objects.filter(pk=terms.pk).values_list("warning_percent", "breach_action").get(),
    )
    assert ResponseTerms.objects.filter(pk=terms.pk).values_list("warning_percent", "breach_action").get() == (
        40,
        "return_to_queue",
    )
    entry = AuditEntry.objects.get(object_type="sla.responseterms", action="update")
    assert entry.changes["warning_percent"] == [75, 40] and entry.client_id == theirs.client_id
    # The agreement (and so the client) of saved terms does not change.
    client.force_login(make_staff("admin").user)
    client.post(
        reverse("admin:sla_responseterms_change", args=[terms.pk]),
        {"agreement": mine.pk, "warning_percent": 41, "breach_action": "notify"},
    )
    assert ResponseTerms.objects.get(pk=terms.pk).agreement_id == theirs.pk


def test_the_terms_admin_refuses_a_share_out_of_bounds_beside_the_field(client, contracts):
    mine = contracts["mine"]
    client.force_login(make_staff("admin").user)
    response = client.post(
        reverse("admin:sla_responseterms_add"),
        {"agreement": mine.pk, "warning_percent": 100, "breach_action": "notify"},
    )
    assert response.status_code == 200
    assert "warning_percent" in response.context["adminform"].form.errors
    assert not ResponseTerms.objects.exists()
