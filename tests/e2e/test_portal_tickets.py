"""In a real browser: a POC opens a new ticket, sees the contract's verdict beside the form before
submitting, tries to escalate without what R14 requires and sees exactly what is missing — with
nothing saved — then completes it, escalates, and sees the verdict and the response clock counting
down (R16)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from comanaged.tenancy.tests.factories import PASSWORD, sign_in_person
from comanaged.tickets.models import Ticket
from comanaged.tickets.tests.helpers import make_contract

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in_poc(page, base_url, email):
    page.goto(f"{base_url}/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/")


def test_r14_a_poc_escalates_with_a_missing_field_sees_the_error_then_escalates_and_sees_the_verdict(
    browser, live_server, screenshots
):
    _agreement, poc, _ = make_contract()
    user = sign_in_person(poc)
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.set_default_timeout(20_000)  # CI runs this beside the rest of the suite on two cores
    sign_in_poc(page, live_server.url, user.email)
    page.click("text=Tickets")
    page.click("text=New ticket")
    page.fill("#id_title", "Accounting share unreachable since this morning")
    page.select_option("#id_category", label="Servers and backup › Server")
    page.check("input[name=priority][value=P2]")
    page.fill("#id_description", "\\\\FS01\\accounting returns 'network path not found' for everyone in Finance.")
    page.fill("#id_tried", "Rebooted two PCs, pinged FS01 (replies).")
    # The verdict is shown before submitting, recomputed as the form changes.
    expect(page.locator("#verdict")).to_contain_text("Response target: 2 h", timeout=20_000)
    assert "Covered" in page.locator("#verdict").inner_text()
    page.click("#escalate")  # error messages and conditions still missing
    page.wait_for_selector("#form-errors")
    errors = page.locator(".invalid-feedback").all_inner_texts()
    assert any("error messages" in e for e in errors) and any("conditions" in e for e in errors)
    assert not Ticket.objects.exists()  # nothing half-saved
    page.screenshot(path=str(screenshots / "portal-ticket-missing-fields.png"), full_page=True)

    page.fill("#id_error_messages", "0x80070035 The network path was not found")
    page.fill("#id_conditions", "Every user of the Finance VLAN, since 08:00")
    page.click("#escalate")
    page.wait_for_url("**/portal/tickets/*/")
    assert "Covered" in page.locator("#verdict").inner_text()
    response = page.locator("#response")
    expect(response).to_contain_text("P2 · respond within 2 h, 24×7")
    countdown = response.locator("[data-clock-due]")
    first = countdown.inner_text()
    assert first.startswith("1 h 5") and first.endswith(" left"), first
    expect(countdown).not_to_have_text(first, timeout=3_000)  # clock.js, once a second
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.verdict, ticket.priority) == ("escalated", "covered", "P2")
    assert "escalated to the service desk" in page.locator("#timeline").inner_text()
    page.screenshot(path=str(screenshots / "portal-ticket.png"), full_page=True)

    page.click("text=Tickets")
    assert f"#{ticket.number}" in page.locator("#ticket-list").inner_text()
    page.screenshot(path=str(screenshots / "portal-tickets.png"), full_page=True)
