"""End to end, in a real browser: staff sign in with MFA, open the clients, draft an agreement
without backup and see the refusal (R3), add backup and activate it; a POC signs in and sees
the portal home. Screenshots land in var/screenshots/."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from comanaged.agreements.models import Agreement
from comanaged.tenancy.tests.factories import (
    PASSWORD,
    TOTP_SECRET,
    ClientFactory,
    PersonFactory,
    make_staff,
    sign_in_person,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def totp_now() -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(TOTP_SECRET, counters[len(counters) // 2]))


def sign_in_with_mfa(page, base_url: str, email: str) -> None:
    """Password, then the TOTP code, as a staff member does; ends on the console dashboard."""
    page.goto(f"{base_url}/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.fill("input[name=code]", totp_now())
    page.click("button[type=submit]")
    page.wait_for_url("**/console/")


@pytest.fixture
def world():
    client = ClientFactory(name="Brightside Dental Group", code="brightside")
    advisor = make_staff("strategic_advisor", full_name="Grace Kim")
    engineer = make_staff("technology_alignment_engineer", full_name="Nia Adeyemi")
    billing = make_staff("billing", "onboarding_pm", full_name="Ben Carter", email="ben@msp.test")
    poc = sign_in_person(PersonFactory(client=client, level="poc", full_name="Chris Alvarez"))
    return {"client": client, "advisor": advisor, "engineer": engineer, "staff": billing.user, "poc": poc}


def test_staff_drafts_an_agreement_sees_the_backup_refusal_and_activates_it(browser, live_server, world, screenshots):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    sign_in_with_mfa(page, live_server.url, world["staff"].email)

    page.click("a.nav-link:has-text('Clients')")
    page.wait_for_url("**/console/clients/")
    assert page.locator("table").inner_text().count("Brightside Dental Group") == 1

    page.click("a.nav-link:has-text('Agreements')")
    page.click("a.btn:has-text('New')")
    page.select_option("#id_client", label="Brightside Dental Group")
    page.select_option("#id_plan", "co_managed_plus")
    page.fill("#id_starts_on", (dt.date.today()).isoformat())
    for field, fee in (
        ("end_user", "119"),
        ("vip", "159"),
        ("partial", "65"),
        ("email_only", "20"),
        ("extra_poc", "125"),
    ):
        page.fill(f"#id_{field}_monthly_fee", fee)
    page.select_option("#id_strategic_advisor", label="Grace Kim")
    page.select_option("#id_technology_alignment_engineer", label="Nia Adeyemi")
    page.click("button:has-text('Save')")
    page.wait_for_selector("#activation-check")

    page.click("#activate")
    page.wait_for_selector(".alert-danger")
    refusal = page.locator(".alert-danger").first.inner_text()
    assert "Not activated" in refusal and "(R3)" in refusal
    page.screenshot(path=str(screenshots / "agreement-refused.png"), full_page=True)
    assert Agreement.objects.get().status == "draft"

    page.click("a.btn:has-text('Edit')")
    page.select_option("#id_backup_service", "server_backup_dr")
    page.fill("#id_backup_monthly_price", "890")
    page.click("button:has-text('Save')")
    page.click("#activate")
    page.wait_for_selector(".alert-success")
    assert "is active" in page.locator(".alert-success").inner_text()
    page.screenshot(path=str(screenshots / "agreement-active.png"), full_page=True)
    assert Agreement.objects.get().status == "active"

    poc_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    poc_page.goto(f"{live_server.url}/accounts/login/")
    poc_page.fill("input[name=login]", world["poc"].email)
    poc_page.fill("input[name=password]", PASSWORD)
    poc_page.click("button[type=submit]")
    poc_page.wait_for_url("**/portal/")
    assert "Your agreement, in plain words" in poc_page.content()
    assert "Grace Kim" in poc_page.locator("#advisors").inner_text()
    poc_page.screenshot(path=str(screenshots / "portal-home.png"), full_page=True)


def test_the_console_reads_on_a_tablet(browser, live_server, world, screenshots):
    """Responsive down to a tablet: the sidebar folds to icons, the table stays readable."""
    page = browser.new_context(viewport={"width": 820, "height": 1180}).new_page()
    sign_in_with_mfa(page, live_server.url, world["staff"].email)
    page.goto(f"{live_server.url}/console/clients/")
    sidebar = page.locator(".cm-sidebar").bounding_box()
    assert sidebar is not None and sidebar["width"] < 100
    assert not page.locator(".cm-sidebar .cm-label").first.is_visible()
    page.screenshot(path=str(screenshots / "clients-tablet.png"), full_page=True)
