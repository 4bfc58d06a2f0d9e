"""The response clock through the API (R16–R19, R9, R13): a ticket's clock, seen by whoever sees the
ticket (the client without the internal events and staff ids), triage of the required tier (R17),
and attainment for the provider's staff, only of the clients in their scope."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import time_machine
from django.test import Client as HttpClient

from comanaged.api.services import token_issue
from comanaged.core.models import AuditEntry
from comanaged.tenancy.models import ProviderSettings
from comanaged.tenancy.tests.factories import PersonFactory, make_staff, sign_in_person
from comanaged.tickets import conversation, desk
from comanaged.tickets.clock.models import ClockEvent, ResponseClock
from comanaged.tickets.models import Ticket
from comanaged.tickets.services import ticket_escalate, ticket_resolve
from comanaged.tickets.tests.helpers import complete_ticket, make_contract

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)  # a Tuesday, 10:00 in New York


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def bearer(user, scope: str = "write") -> HttpClient:
    _, token = token_issue(user=user, name="test", scope=scope, expires_in_days=30)
    return HttpClient(HTTP_AUTHORIZATION=f"Bearer {token}")


def post(http: HttpClient, url: str, body: Any) -> Any:
    return http.post(url, json.dumps(body), content_type="application/json")


def escalated(agreement, person, minutes: float = 0, **fields) -> Ticket:
    with time_machine.travel(at(minutes), tick=False):
        ticket = complete_ticket(agreement, person, **fields)
        return ticket_escalate(ticket=ticket, actor=None, escalating_person=person)


def restrict_technicians() -> None:
    ProviderSettings.objects.update_or_create(pk=1, defaults={"restrict_technicians_to_assigned_clients": True})


def clock_url(ticket: Ticket) -> str:
    return f"/api/v1/tickets/{ticket.pk}/clock"


# --- a ticket's clock ---------------------------------------------------------------------------


def test_r16_r17_the_clock_of_an_escalated_ticket_with_its_deadline_and_pending_warning():
    agreement, poc, _ = make_contract()
    ticket = escalated(agreement, poc, priority="P2")
    response = bearer(sign_in_person(poc)).get(clock_url(ticket))
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["ticket_id"], body["number"], body["sequence"], body["state"]) == (
        ticket.pk,
        ticket.number,
        1,
        "running",
    )
    assert (body["target_seconds"], body["business_hours"], body["vip"]) == (7200, False, False)
    assert body["started_at"] == at(0).isoformat().replace("+00:00", "Z")
    assert body["due_at"] == at(120).isoformat().replace("+00:00", "Z")
    assert body["warn_at"] == at(90).isoformat().replace("+00:00", "Z")  # 75 % of 2 h
    assert (body["stopped_at"], body["response_seconds"], body["breached_at"]) == (None, None, None)
    assert body["exclusion"] == {} and body["previous"] == []


def test_r17_staff_see_the_events_and_who_stopped_the_clock_the_client_does_not():
    agreement, poc, _ = make_contract()
    ticket = escalated(agreement, poc, priority="P1")
    dispatcher, l1 = make_staff("dispatcher"), make_staff("technician")
    with time_machine.travel(at(5), tick=False):
        desk.ticket_set_required_tier(ticket=ticket, actor=dispatcher.user, tier="l1", reason="Plain reset")
        desk.ticket_start_work(ticket=ticket, actor=l1.user)
    staff = bearer(dispatcher.user).get(clock_url(ticket)).json()
    assert staff["state"] == "met" and staff["stopped_by_id"] == l1.pk
    assert staff["response_seconds"] == 5 * 60 and staff["warn_at"] is None
    assert [e["kind"] for e in staff["events"]] == ["started", "stopped"]
    assert staff["events"][1]["actor"] == l1.user.full_name
    client = bearer(sign_in_person(poc)).get(clock_url(ticket)).json()
    assert (client["state"], client["response_seconds"]) == ("met", 5 * 60)
    assert client["stopped_by_id"] is None and client["events"] is None


def test_r18_an_excluded_clock_says_why():
    agreement, poc, _ = make_contract()
    ticket = escalated(agreement, poc, priority="P1", type="service_request")
    body = bearer(sign_in_person(poc)).get(clock_url(ticket)).json()
    assert (body["state"], body["target_seconds"], body["due_at"]) == ("excluded", None, None)
    assert "R18" in body["exclusion"]["rules"]


def test_a_reopened_ticket_shows_its_earlier_clock_in_previous():
    agreement, poc, _ = make_contract()
    ticket = escalated(agreement, poc, priority="P3")
    technician = make_staff("technician")
    with time_machine.travel(at(20), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=technician.user)
        ticket_resolve(ticket=ticket, actor=technician.user, resolution="Repaired the profile")
    with time_machine.travel(at(24 * 60), tick=False):
        conversation.ticket_reopen(ticket=ticket, actor=sign_in_person(poc), reason="It crashed again")
    body = bearer(make_staff("admin").user).get(clock_url(ticket)).json()
    assert (body["sequence"], body["state"]) == (2, "running")
    assert [(c["sequence"], c["state"], c["response_seconds"]) for c in body["previous"]] == [(1, "met", 20 * 60)]


def test_a_ticket_never_escalated_has_no_clock_and_says_so():
    agreement, poc, _ = make_contract()
    ticket = complete_ticket(agreement, poc)
    response = bearer(sign_in_person(poc)).get(clock_url(ticket))
    assert response.status_code == 404
    assert "never escalated" in response.json()["message"]


def test_r33_isolation_the_clock_is_seen_exactly_as_the_ticket_is():
    agreement, poc, end_user = make_contract()
    ticket = escalated(agreement, poc, priority="P2")
    other_agreement, other_poc, _ = make_contract()
    restricted = make_staff("technician")
    restrict_technicians()
    other_agreement.client.team.add(restricted)
    callers = {
        "anonymous": (HttpClient(), 401),
        "another client's POC": (bearer(sign_in_person(other_poc)), 404),
        "an end-user it does not concern": (bearer(sign_in_person(end_user)), 404),
        "staff restricted to another client": (bearer(restricted.user), 404),
        "the POC": (bearer(sign_in_person(poc)), 200),
        "another end-user of the client": (bearer(sign_in_person(PersonFactory(client=agreement.client))), 404),
        "the client's other POC": (bearer(sign_in_person(PersonFactory(client=agreement.client, level="poc"))), 200),
    }
    for name, (http, status) in callers.items():
        clock = http.get(clock_url(ticket))
        assert clock.status_code == status, name
        assert http.get(f"/api/v1/tickets/{ticket.pk}").status_code == status, name
    assert bearer(make_staff("admin").user).get("/api/v1/tickets/9223372036854775807/clock").status_code == 404


# --- triage: the required tier (R17) ------------------------------------------------------------


def test_r17_a_dispatcher_sets_the_required_tier_with_a_reason_and_it_is_on_the_clock():
    agreement, poc, _ = make_contract()
    ticket = escalated(agreement, poc, priority="P1")
    dispatcher = make_staff("dispatcher")
    response = post(
        bearer(dispatcher.user), f"/api/v1/tickets/{ticket.pk}/required-tier", {"tier": "l2", "reason": "AD rights"}
    )
    assert response.status_code == 200, response.content
    assert response.json()["required_tier"] == "l2" and response.json()["number"] == ticket.number
    event = ClockEvent.objects.get(clock__ticket=ticket, kind="required_tier")
    assert (event.data["tier"], event.text) == ("l2", "AD rights")
    assert AuditEntry.objects.filter(action="required_tier", object_id=str(ticket.pk)).exists()


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"tier": "l4", "reason": "x"}, 422, "tier"),
        ({"tier": "vendor", "reason": "x"}, 422, "tier"),
        ({"tier": "l2", "reason": ""}, 422, "reason"),
        ({"tier": "l2"}, 422, "reason"),
        ({"tier": "l2", "reason": "x" * 2001}, 422, "reason"),
        ({"tier": "l2", "reason": "a\x00b"}, 422, "reason"),
        ({"tier": "l2", "reason": "x", "assignee_id": 1}, 422, "assignee_id"),
    ],
)
def test_r17_bad_triage_input_is_refused_and_nothing_changes(body, status, field):
    agreement, poc, _ = make_contract()
    ticket = escalated(agreement, poc, priority="P1")
    response = post(bearer(make_staff("dispatcher").user), f"/api/v1/tickets/{ticket.pk}/required-tier", body)
    assert (response.status_code, response.json()["field"]) == (status, field)
    assert Ticket.objects.get(pk=ticket.pk).required_tier == "l1"


def test_r17_only_dispatchers_and_admins_triage_and_another_clients_ticket_is_a_404():
    agreement, poc, _ = make_contract()
    ticket = escalated(agreement, poc, priority="P1")
    _, other_poc, _ = make_contract()
    url = f"/api/v1/tickets/{ticket.pk}/required-tier"
    body = {"tier": "l3", "reason": "Escalate"}
    for http, status in (
        (bearer(make_staff("technician").user), 403),
        (bearer(sign_in_person(poc)), 403),
        (bearer(make_staff("admin").user, scope="read"), 403),
        (bearer(sign_in_person(other_poc)), 404),
        (HttpClient(), 401),
    ):
        assert post(http, url, body).status_code == status
    assert Ticket.objects.get(pk=ticket.pk).required_tier == "l1"
    assert post(bearer(make_staff("admin").user), url, body).status_code == 200


# --- attainment ---------------------------------------------------------------------------------


@pytest.fixture
def two_clients():
    """Client A: one P1 met at 20 min, one P1 missed (75 min), one P4 open; client B: one P2 met."""
    a, a_poc, _ = make_contract()
    b, b_poc, _ = make_contract()
    technician = make_staff("technician")
    met, missed = escalated(a, a_poc, priority="P1"), escalated(a, a_poc, priority="P1")
    escalated(a, a_poc, priority="P4")
    theirs = escalated(b, b_poc, priority="P2")
    for ticket, minutes in ((met, 20), (missed, 75), (theirs, 30)):
        with time_machine.travel(at(minutes), tick=False):
            desk.ticket_start_work(ticket=ticket, actor=technician.user)
    return {"a": a.client, "b": b.client, "a_poc": a_poc, "technician": technician}


def attainment(http: HttpClient, **query: Any) -> Any:
    params = {"from": "2026-11-01", "to": "2026-12-01", **query}
    return http.get("/api/v1/sla/attainment", params)


@time_machine.travel(at(100), tick=False)
def test_r16_attainment_counts_met_missed_open_with_the_time_to_respond(two_clients):
    response = attainment(bearer(make_staff("admin").user), by="client", time_zone="America/New_York")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["from"], body["to"], body["by"]) == ("2026-11-01T04:00:00Z", "2026-12-01T05:00:00Z", "client")
    overall = body["overall"]
    assert (overall["met"], overall["missed"], overall["open"], overall["measured"]) == (2, 1, 1, 3)
    assert overall["rate"] == pytest.approx(2 / 3) and overall["label"] == "All"
    rows = {row["key"]: row for row in body["rows"]}
    a = rows[two_clients["a"].pk]
    assert (a["label"], a["met"], a["missed"], a["open"]) == (two_clients["a"].name, 1, 1, 1)
    assert (a["median_seconds"], a["p90_seconds"]) == (47.5 * 60, 75 * 60)
    by_priority = {
        row["key"]: row for row in attainment(bearer(make_staff("admin").user), by="priority").json()["rows"]
    }
    assert by_priority["P1"]["measured"] == 2 and by_priority["P4"]["rate"] is None
    only_p2 = attainment(bearer(make_staff("admin").user), priority="P2").json()
    assert (only_p2["overall"]["met"], only_p2["rows"]) == (1, [])


@time_machine.travel(at(100), tick=False)
def test_r16_isolation_staff_restricted_to_client_a_see_nothing_of_client_b(two_clients):
    restrict_technicians()
    restricted = make_staff("technician")
    two_clients["a"].team.add(restricted)
    http = bearer(restricted.user)
    body = attainment(http, by="client").json()
    assert [row["key"] for row in body["rows"]] == [two_clients["a"].pk]
    assert body["overall"]["met"] == 1 and body["overall"]["missed"] == 1  # B's met P2 is not counted
    response = attainment(http, client_id=two_clients["b"].pk)
    assert response.status_code == 404 and response.json()["field"] == "client_id"
    nobody = make_staff("technician")  # restricted, on no team: nothing at all
    assert attainment(bearer(nobody.user), by="client").json()["overall"]["measured"] == 0
    assert attainment(bearer(make_staff("admin").user), client_id=two_clients["b"].pk).json()["overall"]["met"] == 1


def test_attainment_is_for_the_providers_staff(two_clients):
    assert attainment(bearer(sign_in_person(two_clients["a_poc"]))).status_code == 403
    assert attainment(HttpClient()).status_code == 401


@pytest.mark.parametrize(
    ("query", "status", "field", "words"),
    [
        ({"from": "2026-12-01", "to": "2026-11-01"}, 400, "to", "before"),
        ({"from": "2026-11-01", "to": "2026-11-01"}, 400, "to", "before"),
        ({"from": "2025-01-01", "to": "2026-03-01"}, 400, "to", "400 days"),
        ({"by": "weather"}, 422, "by", "client"),
        ({"from": "yesterday"}, 422, "from", ""),
        ({"from": "2026-11-01T10:00:00"}, 422, "from", ""),  # a naive instant
        ({"from": "0001-01-01"}, 422, "from", ""),
        ({"to": "9999-12-31"}, 422, "to", ""),
        ({"time_zone": "Mars/Olympus"}, 400, "time_zone", "time zone"),
        ({"priority": "P9"}, 422, "priority", ""),
        ({"client_id": 0}, 422, "client_id", ""),
        ({"client_id": 2**70}, 422, "client_id", ""),
    ],
)
def test_bad_attainment_questions_are_4xx_naming_the_field(query, status, field, words):
    response = attainment(bearer(make_staff("admin").user), **query)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field and words in response.json()["message"]


def test_a_period_of_instants_and_a_zone_for_the_days():
    http = bearer(make_staff("admin").user)
    body = attainment(http, **{"from": "2026-11-01T00:00:00+01:00", "to": "2026-11-02"}, time_zone="Asia/Tokyo").json()
    assert (body["from"], body["to"], body["time_zone"]) == (
        "2026-10-31T23:00:00Z",
        "2026-11-01T15:00:00Z",
        "Asia/Tokyo",
    )
    assert body["overall"]["measured"] == 0 and body["overall"]["rate"] is None
    assert ResponseClock.objects.count() == 0
