"""In a real browser: a POC of a Co-managed+ client opens the environment documentation, sees the
runbook checklist (R27) part done, creates the after-hours escalation document from the
checklist — a phone number of the wrong type is refused beside its field — then keeps a login
with it, reveals the password (shown with a copy button, counting down to hide again) and finds
the reveal in the access log (R34). In the console, an onboarding PM narrows the agreement's
checklist to two runbooks and sees it complete. No page breaks the strict CSP."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import expect

from comanaged.kb.choices import RevealOutcome
from comanaged.kb.models import CredentialAccess, Document, DocumentTemplate
from comanaged.kb.runbooks import runbook_status
from comanaged.kb.testing import filled_values
from comanaged.tenancy.tests.factories import PASSWORD, make_staff, sign_in_person
from comanaged.tickets.tests.helpers import make_contract
from tests.e2e.test_browser import sign_in_with_mfa

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FAKE_SECRET = "demo-Pa55word-not-real"


def ensure_default_templates() -> None:
    """A transactional test before this one flushed the rows migration 0002 creates."""
    migration = importlib.import_module("comanaged.kb.migrations.0002_default_templates")
    migration.create_defaults(apps, None)


def sign_in_poc(page, base_url, email):
    page.goto(f"{base_url}/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/")


def test_r27_r34_a_poc_documents_the_after_hours_process_keeps_a_login_and_reveals_it(
    browser, live_server, screenshots
):
    ensure_default_templates()
    agreement, poc, _ = make_contract("co_managed_plus")
    client = agreement.client
    user = sign_in_person(poc)
    # Two runbooks already done, one half done: the checklist shows every state.
    for slug in ("password-reset", "onboarding-offboarding"):
        chosen = DocumentTemplate.objects.get(slug=slug)
        Document.objects.create(
            client=client, template=chosen, title=chosen.name, values=filled_values(chosen), updated_by=user
        )
    backup = DocumentTemplate.objects.get(slug="backup-restore")
    Document.objects.create(
        client=client,
        template=backup,
        title="Backups (Veeam)",
        values={"backup_product": "Veeam", "restore_approver": "Dana Smith, COO"},
        updated_by=user,
    )

    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    sign_in_poc(page, live_server.url, user.email)

    page.goto(f"{live_server.url}/portal/docs/environment/")
    expect(page.locator("#runbook-progress")).to_have_text("2 of 5")
    expect(page.locator("#coverage-sentence")).to_contain_text("opens only when every runbook below is complete")
    expect(page.locator("#runbook-backup-restore")).to_contain_text("Incomplete — missing Restore approver phone")
    expect(page.locator("#runbook-after-hours-escalation")).to_have_attribute("data-state", "missing")

    page.locator("#runbook-after-hours-escalation").get_by_role("link", name="Create").click()
    page.wait_for_url("**/documents/new/after-hours-escalation/")
    assert "## When to call" in page.locator("#id_body").input_value()  # the template's body to start from
    page.fill("#id_value_first_contact", "Jane Doe, office manager")
    page.fill("#id_value_first_contact_phone", "call her mobile")
    page.fill("#id_value_second_contact", "Sam Lee, CFO")
    page.fill("#id_value_second_contact_phone", "+1 212 555 0142")
    page.select_option("#id_value_may_restart_servers", "yes")
    page.fill("#id_value_spending_limit", "500")
    page.click("#save-document")
    page.wait_for_selector("#form-errors")
    expect(page.locator('[data-error-for="value_first_contact_phone"]')).to_contain_text("must be a phone number")
    assert not Document.objects.filter(template__slug="after-hours-escalation").exists()  # nothing half-saved
    assert page.input_value("#id_value_second_contact") == "Sam Lee, CFO"  # what was typed is kept

    page.fill("#id_value_first_contact_phone", "+1 212 555 0100")
    page.click("#save-document")
    page.wait_for_url("**/portal/docs/documents/*/")
    expect(page.locator("#values")).to_contain_text("+1 212 555 0100")
    expect(page.locator('#values [data-key="may_restart_servers"]')).to_have_text("Yes")
    assert runbook_status(agreement).done == 3

    page.click("#add-credential")
    page.fill("#id_name", "Alarm company portal")
    page.fill("#id_username", "acme-ops")
    page.fill("#id_url", "https://alarm.example.com/login")
    page.fill("#id_password", FAKE_SECRET)
    page.fill("#id_totp_seed", "otpauth://totp/Alarm:acme-ops?secret=JBSWY3DPEHPK3PXP&issuer=Alarm")
    page.click("#save-credential")
    page.wait_for_url("**/portal/docs/documents/*/#credentials")
    credential = page.locator(".kb-credential").first
    expect(credential).to_contain_text("Alarm company portal")
    assert FAKE_SECRET not in page.content()  # listed without secrets

    credential.locator('button[data-field="password"]').click()
    secret = credential.locator("[data-kb-value]")
    expect(secret).to_have_text(FAKE_SECRET)
    hides = credential.locator("[data-kb-hides]")
    expect(hides).not_to_have_text("30", timeout=3_000)  # documents.js counts down to hide it again
    credential.locator("[data-kb-copy]").click()
    expect(credential.locator("[data-kb-copy]")).to_contain_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == FAKE_SECRET
    credential.locator('button[data-field="totp"]').click()
    expect(credential.locator("[data-kb-seconds]")).to_be_visible()
    page.screenshot(path=str(screenshots / "kb-document.png"), full_page=True)

    row = CredentialAccess.objects.get(field="password")
    assert (row.user_id, row.outcome) == (user.pk, RevealOutcome.REVEALED)
    page.goto(f"{live_server.url}/portal/docs/access-log/")
    expect(page.locator("#access-log")).to_contain_text("Alarm company portal (After-hours escalation process)")
    expect(page.locator("#access-log")).to_contain_text("Revealed")

    page.goto(f"{live_server.url}/portal/docs/environment/")
    expect(page.locator("#runbook-progress")).to_have_text("3 of 5")
    expect(page.locator("#runbook-after-hours-escalation")).to_have_attribute("data-state", "complete")
    page.screenshot(path=str(screenshots / "kb-environment.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    context.close()


def test_r27_staff_see_the_clients_checklist_in_the_console_and_customise_it(browser, live_server, screenshots):
    ensure_default_templates()
    agreement, _poc, _ = make_contract("co_managed_plus")
    client = agreement.client
    pm = make_staff("onboarding_pm", full_name="Priya Patel")
    client.team.add(pm)
    for slug in ("after-hours-escalation", "password-reset"):
        chosen = DocumentTemplate.objects.get(slug=slug)
        Document.objects.create(client=client, template=chosen, title=chosen.name, values=filled_values(chosen))
    server = DocumentTemplate.objects.get(slug="server")
    Document.objects.create(
        client=client, template=server, title="HV01 hypervisor", values={"role": "Hyper-V host"}, visibility="internal"
    )
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.set_default_timeout(20_000)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    sign_in_with_mfa(page, live_server.url, pm.user.email)
    page.goto(f"{live_server.url}/console/kb/environment/")
    page.get_by_role("link", name=client.name).click()
    expect(page.locator("#runbook-progress")).to_have_text("2 of 5")
    expect(page.locator("#documents")).to_contain_text("Provider only")  # staff see internal documents

    page.click("#checklist-customise summary")
    for slug in ("onboarding-offboarding", "backup-restore", "critical-lob-apps"):
        pk = DocumentTemplate.objects.get(slug=slug).pk
        page.uncheck(f"#checklist-customise input[value='{pk}']")
    page.click("button[value=checklist_set]")
    expect(page.locator("#runbook-progress")).to_have_text("2 of 2")
    expect(page.locator("#coverage-sentence")).to_contain_text("coverage is open")
    assert runbook_status(agreement).customised
    page.screenshot(path=str(screenshots / "kb-console-environment.png"), full_page=True)
    page.click("#checklist-customise summary")
    page.click("button[value=checklist_reset]")
    expect(page.locator("#runbook-progress")).to_have_text("2 of 5")
    assert not [p for p in problems if "Content Security Policy" in p], problems
