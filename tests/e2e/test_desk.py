"""End to end, in a real browser: a technician signs in with MFA, opens the desk queue, opens a
ticket and starts work on it — the event the response clock stops on (R17) — and the ticket's
response clock counts down live (R16). Screenshots of the queue and the ticket land in
var/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from comanaged.agreements.policy import RESPOND_TARGETS
from comanaged.agreements.services import agreement_activate
from comanaged.agreements.tests.factories import AgreementFactory, VendorCoverageFactory
from comanaged.sla.models import ResponseTerms
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, VerticalFactory, make_staff
from comanaged.tickets import conversation, desk, services
from comanaged.tickets.models import Ticket, TicketCategory, TicketEvent
from tests.e2e.test_browser import sign_in_with_mfa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _contract(name: str, code: str, **terms):
    with transaction.atomic():  # autocommit here; numbering locks a row (PostgreSQL insists)
        client = ClientFactory(name=name, code=code)
        agreement = AgreementFactory(client=client, **terms)
        agreement_activate(agreement=agreement, actor=None)
    return agreement


def _escalate(agreement, requester, title: str, priority: str, category, *, due_in: int | None = None, **fields):
    """Log and escalate a ticket — escalated long enough ago that its response clock falls due
    ``due_in`` minutes from now (R16), so the clock, its timers and the queue all agree."""
    escalated_at = timezone.now()
    if due_in is not None:
        escalated_at += dt.timedelta(minutes=due_in) - RESPOND_TARGETS[priority]
    with time_machine.travel(escalated_at, tick=False):
        ticket = services.ticket_log(
            ticket=Ticket(
                client=agreement.client,
                requester=requester,
                affected_person=fields.pop("affected_person", requester),
                title=title,
                priority=priority,
                category=category,
                description=fields.pop("description", f"{title}. Users cannot work around it."),
                tried=fields.pop("tried", "Restarted the device and signed out and in again."),
                error_messages=fields.pop("error_messages", "none"),
                conditions=fields.pop("conditions", "Since this morning, every attempt."),
                **fields,
            ),
            actor=None,
        )
        services.ticket_escalate(ticket=ticket, actor=None, escalating_person=requester)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def desk_world():
    healthcare = VerticalFactory(slug="healthcare")
    advisor = make_staff("strategic_advisor", verticals=[healthcare], full_name="Grace Kim")
    dental = _contract(
        "Brightside Dental Group", "brightside", plan="co_managed_plus", vertical=healthcare, strategic_advisor=advisor
    )
    harbor = _contract("Harbor Logistics", "harbor")
    # Harbor's agreement stops the clock while the desk waits on the client: a paused row.
    ResponseTerms.objects.create(agreement=harbor, client=harbor.client, pause_waiting_on_client=True)
    meridian = _contract("Meridian Legal LLP", "meridian")
    email = TicketCategory.objects.get_or_create(name="Email and Microsoft 365", parent=None)[0]
    network = TicketCategory.objects.get_or_create(name="Network and VPN", parent=None)[0]
    software = TicketCategory.objects.get_or_create(name="Line-of-business software", parent=None)[0]
    printing = TicketCategory.objects.get_or_create(name="Printing", parent=None)[0]

    tech = make_staff("technician", tier=2, verticals=[healthcare], full_name="Sam Rivera", email="sam@msp.test")
    other = make_staff("technician", tier=1, full_name="Jordan Lee")
    make_staff("technician", tier=3, full_name="Priya Nair")

    dental_poc = PersonFactory(client=dental.client, level="poc", full_name="Chris Alvarez")
    vip = PersonFactory(client=dental.client, level="vip", full_name="Dr. Helen Park")
    harbor_poc = PersonFactory(client=harbor.client, level="poc", full_name="Dana Brooks")
    meridian_poc = PersonFactory(client=meridian.client, level="poc", full_name="Alex Morgan")
    VendorCoverageFactory(client=dental.client, vendor="Dentrix", covers="Dentrix Ascend practice software")

    target = _escalate(
        dental,
        dental_poc,
        "Dentrix Ascend will not open on the front-desk PCs",
        "P2",
        software,
        due_in=-12,
        affected_person=vip,
        description="Dentrix Ascend shows a blank window at sign-in on the three front-desk PCs.",
        error_messages="Error 0x80072efd: the server could not be reached.",
    )
    vpn = _escalate(harbor, harbor_poc, "Warehouse VPN drops every hour", "P1", network, due_in=35)
    _escalate(meridian, meridian_poc, "Partner mailbox not receiving external mail", "P2", email, due_in=95)
    assigned = _escalate(dental, dental_poc, "Scanner in operatory 3 offline", "P3", printing, due_in=400)
    desk.ticket_assign(ticket=assigned, actor=tech.user, assignee=tech)
    waiting = _escalate(harbor, harbor_poc, "New starter needs Teams and a shared drive", "P4", email, due_in=1300)
    desk.ticket_assign(ticket=waiting, actor=tech.user, assignee=other, reason="Harbor onboarding")
    desk.ticket_set_status(ticket=waiting, actor=other.user, status="waiting_on_client", note="Start date?")
    _escalate(meridian, meridian_poc, "Billing app times out on month-end report", "P3", software, due_in=-45)
    _escalate(
        harbor, harbor_poc, "Request: 5 new laptops for dispatch", "P2", email, type="service_request"
    )  # R18: no response target
    conversation.ticket_add_note(
        ticket=target,
        actor=other.user,
        text="Same error on the reception PC; Dentrix status page is green.",
        public=False,
    )
    return {"tech": tech, "ticket": target, "running": vpn, "waiting": waiting}


def test_technician_opens_the_desk_and_starts_work(browser, live_server, desk_world, screenshots):
    """R17: Start work from the ticket page records the work_started event and the ticket is in
    progress; the queue shows overdue tickets in red and the VIP (R9) and vertical (R12) marks."""
    ticket = desk_world["ticket"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in_with_mfa(page, live_server.url, desk_world["tech"].user.email)

    page.click("a.nav-link:has-text('Desk')")
    page.wait_for_url("**/console/desk/")
    rows = page.locator("table.cm-desk-table tbody tr")
    assert rows.count() == 7
    first = rows.first.inner_text()
    assert "Billing app times out" in first and "overdue" in first  # the most overdue comes first
    assert page.locator("tr.is-overdue").count() == 2
    assert "VIP" in page.locator(f"tr[data-ticket='{ticket.number}']").inner_text()
    waiting = page.locator(f"tr[data-ticket='{desk_world['waiting'].number}']")
    assert "is-paused" in waiting.get_attribute("class") and "paused" in waiting.inner_text()  # the clock waits
    # desk.js (no inline script under the CSP): ticking every row counts them and enables the action.
    page.check("[data-select-all]")
    assert page.locator("[data-selected-count]").inner_text() == "7 tickets selected"
    assert page.locator("[data-bulk-submit]").is_enabled()
    page.uncheck("[data-select-all]")
    page.screenshot(path=str(screenshots / "desk-queue.png"), full_page=True)

    page.click(f"tr[data-ticket='{ticket.number}'] .cm-title a")
    page.wait_for_url(f"**/console/tickets/{ticket.number}/")
    assert "Dr. Helen Park" in page.locator("#people").inner_text()
    assert "Internal" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(screenshots / "desk-ticket-before.png"), full_page=True)
    page.click("#start-work")
    page.wait_for_selector(".alert-success")
    assert page.locator("#ticket-status").inner_text() == "In progress"
    started = page.locator(".cm-dk-timeline li[data-kind='work_started']")
    assert started.count() == 1 and "Work started" in started.inner_text()
    assert "Sam Rivera" in page.locator("#assignee").inner_text()
    page.screenshot(path=str(screenshots / "desk-ticket.png"), full_page=True)

    ticket.refresh_from_db()
    assert ticket.status == "in_progress" and ticket.work_started_at is not None
    assert TicketEvent.objects.filter(ticket=ticket, kind="work_started").count() == 1
    assert not errors, errors


def test_r16_the_ticket_page_counts_the_response_down_live(browser, live_server, desk_world, screenshots):
    """R16: the Response panel's countdown is written again every second by clock.js (a static
    file: the CSP forbids inline scripts), and shows the target and the deadline."""
    ticket = desk_world["running"]
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    sign_in_with_mfa(page, live_server.url, desk_world["tech"].user.email)
    page.goto(f"{live_server.url}/console/tickets/{ticket.number}/")
    panel = page.locator("#response")
    expect(panel).to_contain_text("P1 · respond within 1 h, 24×7")
    count = panel.locator("[data-clock-due]")
    first = count.inner_text()
    assert first.endswith(" left") and first.startswith(("34 m", "35 m")), first
    expect(count).not_to_have_text(first, timeout=3_000)  # a second later it reads differently
    assert panel.get_attribute("data-clock-tone") == "running"
    assert "Started" in page.locator("#clock-events").inner_text()
    page.screenshot(path=str(screenshots / "desk-ticket-clock.png"), full_page=True)
    assert not errors, errors
