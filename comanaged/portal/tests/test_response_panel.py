"""The response clock on the portal's ticket page (R16–R18): the POC and the end-user see the
target, the deadline in their own zone, a live countdown and the outcome — never the clock's
internal events, triage reasons or who did not count as a response."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.urls import reverse

from comanaged.tenancy.tests.factories import make_staff, sign_in_person
from comanaged.tickets import desk
from comanaged.tickets.tests.helpers import complete_ticket, make_contract
from comanaged.tickets.tests.test_clock import at, escalate_at

pytestmark = pytest.mark.django_db


def response_panel(client, user, number: int, minutes: float) -> tuple[str, str]:
    """(the Response section's HTML, the whole page) at ``minutes`` after T0."""
    client.force_login(user)
    with time_machine.travel(at(minutes), tick=False):
        response = client.get(reverse("portal:ticket", args=[number]))
    assert response.status_code == 200
    page = response.content.decode()
    start = page.index('id="response"')
    return page[start : page.index("</section>", start)], page


def test_r16_the_portal_ticket_shows_target_due_and_a_live_countdown_without_internal_events(client):
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P2")
    dispatcher = make_staff("dispatcher", full_name="Dee Dispatch")
    l1 = make_staff("technician", full_name="Terry Tech")
    with time_machine.travel(at(5), tick=False):
        desk.ticket_set_required_tier(ticket=ticket, actor=dispatcher.user, tier="l2", reason="Needs AD rights")
    with time_machine.travel(at(10), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=l1.user)  # an L1 start does not count (R17)
    panel, page = response_panel(client, sign_in_person(poc), ticket.number, 48)
    assert "P2 · respond within 2 h, 24×7" in panel
    assert "1 h 12 m 00 s left" in panel and 'data-clock-due="2026-11-24T17:00:00+00:00"' in panel
    assert "Nov 24, 10:00 EST" in panel and "Nov 24, 12:00 EST" in panel  # the client's own zone
    assert 'src="/static/tickets/clock.js"' in page
    for internal in ("Clock events", "Needs AD rights", "not an appropriate resource", "Required tier", "Warning"):
        assert internal not in page
    assert "Terry Tech" not in panel and "Dee Dispatch" not in page


def test_r17_the_portal_shows_the_outcome_but_not_who_responded(client):
    agreement, poc, end_user = make_contract(plan="co_managed_plus")
    ticket = escalate_at(0, agreement, poc, priority="P2", affected_person=end_user)
    with time_machine.travel(at(42), tick=False):
        desk.ticket_start_work(ticket=ticket, actor=make_staff("technician", full_name="Terry Tech").user)
    for person in (poc, end_user):  # the end-user is the affected person: it is their ticket too
        panel, _ = response_panel(client, sign_in_person(person), ticket.number, 60)
        assert "Responded in 42 m — met" in panel and 'data-clock-tone="met"' in panel
        assert "Terry Tech" not in panel and "data-clock-due" not in panel


def test_r18_the_portal_says_why_no_target_applies(client):
    agreement, poc, _ = make_contract()
    ticket = escalate_at(0, agreement, poc, priority="P1", type="service_request")
    panel, _ = response_panel(client, sign_in_person(poc), ticket.number, 5)
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", panel))
    assert "P1 · no respond target" in words and "No respond target: Service requests" in words and "R18" in words


def test_a_ticket_still_in_the_pocs_queue_has_no_response_panel(client):
    agreement, poc, _ = make_contract()
    ticket = complete_ticket(agreement, poc)
    client.force_login(sign_in_person(poc))
    assert 'id="response"' not in client.get(reverse("portal:ticket", args=[ticket.number])).content.decode()
