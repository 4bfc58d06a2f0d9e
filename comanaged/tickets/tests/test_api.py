"""The tickets API: intake with R14 errors and verdicts, idempotent retries, the client's and the
desk's actions, files, isolation between clients and people, and constant query counts."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client as HttpClient

from comanaged.api.services import token_issue
from comanaged.tenancy.tests.factories import PersonFactory, make_staff, sign_in_person
from comanaged.tickets.models import Ticket, TicketEvent
from comanaged.tickets.services import ticket_escalate
from comanaged.tickets.tests.helpers import R14_FIELDS, category, complete_ticket, make_contract

pytestmark = pytest.mark.django_db


def bearer(user, scope="write", **headers):
    _, token = token_issue(user=user, name="test", scope=scope, expires_in_days=30)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def post(http, url, body=None, **headers):
    return http.post(url, json.dumps(body or {}), content_type="application/json", **headers)


@pytest.fixture
def poc_setup():
    agreement, poc, end_user = make_contract()
    return agreement, poc, end_user, bearer(sign_in_person(poc))


def full_body(**extra):
    return {**R14_FIELDS, "category_id": category().pk, **extra}


def test_r14_escalating_on_create_names_each_missing_field_and_saves_nothing(poc_setup):
    agreement, _, _, http = poc_setup
    response = post(http, "/api/v1/tickets", {"title": "VPN down", "priority": "P2", "escalate": True})
    assert response.status_code == 400
    fields = {p["field"] for p in response.json()["problems"]}
    assert fields == {"category", "description", "tried", "error_messages", "conditions"}
    assert not Ticket.objects.filter(client=agreement.client).exists()


def test_r10_a_poc_creates_and_escalates_and_sees_the_verdict(poc_setup):
    _, poc, _, http = poc_setup
    response = post(http, "/api/v1/tickets", full_body(escalate=True))
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["status"], body["tier"], body["verdict"]) == ("escalated", "l1", "covered")
    assert body["requester_id"] == poc.pk and body["source"] == "api"
    assert body["respond_due_at"] is not None


def test_r10_an_end_user_on_co_managed_is_logged_for_the_poc_not_escalated():
    _agreement, _, end_user = make_contract()
    http = bearer(sign_in_person(end_user))
    response = post(http, "/api/v1/tickets", full_body(escalate=True))
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["verdict"]) == ("new", "route_to_poc")
    ticket = Ticket.objects.get(pk=response.json()["id"])
    assert post(http, f"/api/v1/tickets/{ticket.pk}/escalate").json()["code"] == "route_to_poc"


def test_an_end_user_cannot_log_for_someone_else_nor_pick_a_staff_source():
    _agreement, poc, end_user = make_contract()
    http = bearer(sign_in_person(end_user))
    assert post(http, "/api/v1/tickets", {"title": "x", "requester_id": poc.pk}).status_code == 403
    assert post(http, "/api/v1/tickets", {"title": "x", "source": "phone"}).status_code == 403


def test_the_verdict_is_shown_before_submitting(poc_setup):
    _, _, _, http = poc_setup
    response = post(
        http, "/api/v1/tickets/assess", full_body(application_name="Fortnite", impact="company", urgency="stopped")
    )
    assert response.status_code == 200
    body = response.json()
    assert body["verdict"] == "out_of_scope" and "R19" in body["reasons"][0]["rules"]
    assert body["missing"] == [] and body["suggested_priority"] == "P1"
    assert not Ticket.objects.exists()


def test_r22_device_facts_decide_the_verdict(poc_setup):
    _, _, _, http = poc_setup
    for device, expected in (
        ({"device_class": "workstation"}, "covered"),
        ({"device_class": "workstation", "device_beyond_vendor_support": True}, "out_of_scope"),
        ({"device_class": "laptop", "device_ownership": "user_other"}, "out_of_scope"),
        ({"device_class": "mobile", "device_ownership": "user_byod"}, "out_of_scope"),
    ):
        assert post(http, "/api/v1/tickets/assess", full_body(**device)).json()["verdict"] == expected, device
    printer = post(http, "/api/v1/tickets/assess", full_body(device_class="printer")).json()
    assert printer["verdict"] == "covered"
    assert any("printer hardware is not covered" in r["message"] for r in printer["reasons"])


def test_bad_input_is_a_clear_422_never_a_500(poc_setup):
    agreement, _, _, http = poc_setup
    stranger = PersonFactory()
    cases = [
        {"title": "x", "priority": "P9"},
        {"title": ""},
        {"title": "x", "unknown": 1},
        {"title": "x" * 201},
        {"title": "x", "category_id": 10**30},
        {"title": "x", "affected_person_id": stranger.pk},
    ]
    for body in cases:
        response = post(http, "/api/v1/tickets", body)
        assert response.status_code in (400, 404, 422), (body, response.status_code)
        assert "code" in response.json()
    assert not Ticket.objects.filter(client=agreement.client).exists()


def test_a_retry_with_the_same_idempotency_key_returns_the_same_ticket(poc_setup):
    agreement, _, _, http = poc_setup
    first = post(http, "/api/v1/tickets", full_body(), HTTP_IDEMPOTENCY_KEY="form-123")
    again = post(http, "/api/v1/tickets", full_body(), HTTP_IDEMPOTENCY_KEY="form-123")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Ticket.objects.filter(client=agreement.client).count() == 1


def test_staff_log_a_phone_ticket_on_behalf_of_the_requester():
    agreement, poc, _ = make_contract()
    dispatcher = bearer(make_staff("dispatcher").user)
    missing = post(dispatcher, "/api/v1/tickets", {"title": "Call from HQ"})
    assert missing.status_code == 400 and missing.json()["field"] == "client_id"
    response = post(
        dispatcher,
        "/api/v1/tickets",
        full_body(client_id=agreement.client_id, requester_id=poc.pk, source="phone", escalate=True),
    )
    assert response.status_code == 201 and response.json()["source"] == "phone"
    assert response.json()["status"] == "escalated"


def test_clients_and_end_users_see_only_their_tickets():
    agreement, poc, end_user = make_contract()
    other_agreement, other_poc, _ = make_contract()
    own = complete_ticket(agreement, poc)
    users = complete_ticket(agreement, poc, affected_person=end_user)
    foreign = complete_ticket(other_agreement, other_poc)
    poc_http, end_user_http = bearer(sign_in_person(poc)), bearer(sign_in_person(end_user))
    assert {t["id"] for t in poc_http.get("/api/v1/tickets").json()["items"]} == {own.pk, users.pk}
    assert {t["id"] for t in end_user_http.get("/api/v1/tickets").json()["items"]} == {users.pk}
    assert poc_http.get(f"/api/v1/tickets/{foreign.pk}").status_code == 404
    assert end_user_http.get(f"/api/v1/tickets/{own.pk}").status_code == 404
    assert post(poc_http, f"/api/v1/tickets/{foreign.pk}/notes", {"text": "hi"}).status_code == 404
    assert not TicketEvent.objects.filter(ticket=foreign, kind="note").exists()


def test_internal_notes_are_for_staff_only(poc_setup):
    agreement, poc, _, http = poc_setup
    ticket = complete_ticket(agreement, poc)
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    technician = bearer(make_staff("technician").user)
    assert (
        post(technician, f"/api/v1/tickets/{ticket.pk}/notes", {"text": "DC01 flaky", "public": False}).status_code
        == 201
    )
    assert post(http, f"/api/v1/tickets/{ticket.pk}/notes", {"text": "<script>alert(1)</script>"}).status_code == 201
    client_view = [e["text"] for e in http.get(f"/api/v1/tickets/{ticket.pk}/events").json()["items"]]
    staff_view = [e["text"] for e in technician.get(f"/api/v1/tickets/{ticket.pk}/events").json()["items"]]
    assert "DC01 flaky" in staff_view and "DC01 flaky" not in client_view
    assert "<script>alert(1)</script>" in client_view  # stored as text; pages escape it


def test_the_desk_through_the_api_start_work_then_resolve_then_the_poc_confirms(poc_setup):
    agreement, poc, _, http = poc_setup
    ticket = complete_ticket(agreement, poc)
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    technician = bearer(make_staff("technician").user)
    assert post(http, f"/api/v1/tickets/{ticket.pk}/start-work").status_code == 403  # the POC is not the desk
    started = post(technician, f"/api/v1/tickets/{ticket.pk}/start-work")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    resolved = post(technician, f"/api/v1/tickets/{ticket.pk}/resolve", {"resolution": "Rebuilt the OST"})
    assert resolved.json()["status"] == "resolved"
    assert post(http, f"/api/v1/tickets/{ticket.pk}/confirm").json()["status"] == "closed"


def test_r20_r28_vendor_escalation_refused_without_coverage_through_the_api(poc_setup):
    agreement, poc, _, _ = poc_setup
    ticket = complete_ticket(agreement, poc)
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    technician = bearer(make_staff("technician").user)
    response = post(technician, f"/api/v1/tickets/{ticket.pk}/vendor-escalations", {"case_number": "SR-1"})
    assert response.status_code == 400 and response.json()["code"] == "vendor_escalation_refused"


def test_a_read_only_token_changes_nothing(poc_setup):
    agreement, poc, _, _ = poc_setup
    http = bearer(poc.user, scope="read")
    assert post(http, "/api/v1/tickets", full_body()).status_code == 403
    assert not Ticket.objects.filter(client=agreement.client).exists()


def test_attachments_upload_download_with_safe_headers_and_refusals(poc_setup, settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"
    agreement, poc, _, http = poc_setup
    ticket = complete_ticket(agreement, poc)
    log = SimpleUploadedFile("event log.txt", b"Event 4625: logon failure\n", content_type="text/plain")
    response = http.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": [log], "text": "The log"})
    assert response.status_code == 201, response.content
    [attachment] = response.json()
    download = http.get(f"/api/v1/tickets/{ticket.pk}/attachments/{attachment['id']}")
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert b"".join(download.streaming_content) == b"Event 4625: logon failure\n"
    program = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100, content_type="application/pdf")
    refused = http.post(f"/api/v1/tickets/{ticket.pk}/attachments", {"file": [program]})
    assert refused.status_code == 400 and refused.json()["code"] == "file_type_not_allowed"
    assert ticket.attachments.count() == 1


def test_internal_files_are_hidden_from_the_client(poc_setup, settings, tmp_path):
    settings.FILES_DIR = tmp_path / "files"
    agreement, poc, _, http = poc_setup
    ticket = complete_ticket(agreement, poc)
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    technician = bearer(make_staff("technician").user)
    upload = SimpleUploadedFile("dump.txt", b"internal", content_type="text/plain")
    [internal] = technician.post(
        f"/api/v1/tickets/{ticket.pk}/attachments", {"file": [upload], "public": "false"}
    ).json()
    assert http.get(f"/api/v1/tickets/{ticket.pk}/attachments").json() == []
    assert http.get(f"/api/v1/tickets/{ticket.pk}/attachments/{internal['id']}").status_code == 404


def test_list_queries_do_not_grow_with_the_page(django_assert_max_num_queries):
    agreement, poc, _ = make_contract()
    for _ in range(50):
        complete_ticket(agreement, poc)
    http = bearer(make_staff("dispatcher").user)
    http.get("/api/v1/tickets?limit=5")
    with django_assert_max_num_queries(8):
        assert len(http.get("/api/v1/tickets?limit=5").json()["items"]) == 5
    with django_assert_max_num_queries(8):
        assert len(http.get("/api/v1/tickets?limit=50").json()["items"]) == 50


def test_paging_and_filters(poc_setup):
    agreement, poc, _, http = poc_setup
    tickets = [complete_ticket(agreement, poc, priority=p) for p in ("P1", "P2", "P3")]
    page = http.get("/api/v1/tickets?limit=2").json()
    assert [t["number"] for t in page["items"]] == [tickets[2].number, tickets[1].number]
    rest = http.get(page["next"]).json()
    assert [t["number"] for t in rest["items"]] == [tickets[0].number] and rest["next"] is None
    assert [t["priority"] for t in http.get("/api/v1/tickets?priority=P2").json()["items"]] == ["P2"]
    assert http.get("/api/v1/tickets?status=bogus").status_code == 422


def test_nul_characters_and_odd_digits_are_refused_not_a_500(poc_setup):
    """PostgreSQL cannot store NUL; '²' passes str.isdigit but not int(); huge numbers overflow."""
    agreement, _, _, http = poc_setup
    assert post(http, "/api/v1/tickets", {"title": "a\x00b"}).status_code == 422
    assert http.get("/api/v1/tickets?q=%00").status_code == 400
    assert http.get("/api/v1/tickets?q=²").status_code == 200
    assert http.get("/api/v1/tickets?q=" + "9" * 5000).status_code == 200
    assert not Ticket.objects.filter(client=agreement.client).exists()


ENDPOINTS = [
    ("get", "", None),
    ("patch", "", {"title": "Renamed"}),
    ("post", "/escalate", {}),
    ("post", "/resolve", {"resolution": "done"}),
    ("post", "/confirm", {}),
    ("post", "/reopen", {"reason": "again"}),
    ("get", "/events", None),
    ("post", "/notes", {"text": "hello"}),
    ("get", "/attachments", None),
    ("post", "/claim", {}),
    ("post", "/assign", {"assignee_id": None}),
    ("post", "/start-work", {}),
    ("post", "/status", {"status": "waiting_on_client"}),
    ("post", "/raise-tier", {"tier": "l2", "reason": "x"}),
    ("post", "/vendor-escalations", {"case_number": "SR-1"}),
    ("post", "/verdict", {"verdict": "billable", "reason": "x"}),
    ("post", "/merge", {"into_id": 1}),
    ("post", "/parent", {"parent_id": None}),
]


@pytest.mark.parametrize(("method", "suffix", "body"), ENDPOINTS)
def test_every_ticket_endpoint_is_isolated_and_a_refusal_changes_nothing(method, suffix, body):
    """Anonymous → 401; another client's POC → 404 (like a missing ticket); a staff role that only
    reads (billing) → 403 on writes; none of them changes the ticket or its history."""
    agreement, poc, _ = make_contract()
    ticket = complete_ticket(agreement, poc)
    ticket_escalate(ticket=ticket, actor=None, escalating_person=poc)
    _, other_poc, _ = make_contract()
    url = f"/api/v1/tickets/{ticket.pk}{suffix}"

    def state():
        row = Ticket.objects.filter(pk=ticket.pk).values().get()
        return row, TicketEvent.objects.filter(ticket=ticket).count()

    before = state()

    def call(http):
        if method == "get":
            return http.get(url)
        return getattr(http, method)(url, json.dumps(body), content_type="application/json")

    assert call(HttpClient()).status_code == 401
    assert call(bearer(sign_in_person(other_poc))).status_code == 404
    if method != "get":
        assert call(bearer(make_staff("billing").user)).status_code == 403
    assert state() == before
