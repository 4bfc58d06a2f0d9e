"""In a real browser, the knowledge base (R34): a POC opens their documentation, writes an article
with the live preview, publishes it, edits it and sees the change as a diff; while typing a new
ticket, related articles appear beside the form (R33) — never another client's; staff open the
knowledge base in the console. Screenshots land in var/screenshots/ (kb-*.png)."""

from __future__ import annotations

import importlib
import re
import struct
import zlib

import pytest
from django.apps import apps
from django.db import transaction
from playwright.sync_api import expect

from comanaged.kb import services
from comanaged.kb.models import Article, Category, Document, DocumentTemplate
from comanaged.kb.testing import filled_values
from comanaged.tenancy.tests.factories import make_staff, sign_in_person
from comanaged.tickets.tests.helpers import make_contract
from tests.e2e.test_browser import sign_in_with_mfa
from tests.e2e.test_portal_tickets import sign_in_poc

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _defaults() -> None:
    """The categories and templates migration 0002 creates (a transactional test before this one
    flushed them)."""
    importlib.import_module("comanaged.kb.migrations.0002_default_templates").create_defaults(apps, None)


def _png(width: int = 240, height: int = 90) -> bytes:
    """A small real PNG (a blue banner) for the attachment flow."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    row = b"\x00" + bytes([21, 112, 239]) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def _category(name: str) -> Category:
    return Category.objects.get(name=name)


@pytest.fixture
def world():
    _defaults()
    agreement, poc, _end_user = make_contract(plan="co_managed_plus")
    _other, other_poc, _ = make_contract()
    client = agreement.client
    client.name = "Brightside Dental Group"
    client.save(update_fields=["name"])
    _other.client.name = "Zanzibar Corp"
    _other.client.save(update_fields=["name"])
    poc.full_name = "Dana Poc"
    poc.save(update_fields=["full_name"])
    poc_user = sign_in_person(poc)
    other_poc_user = sign_in_person(other_poc)
    admin = make_staff("admin", full_name="Alex Admin", email="alex@msp.test")
    with transaction.atomic():
        services.article_create(
            actor=poc_user,
            client=client,
            title="Outlook keeps asking for a password",
            body=(
                "1. Close Outlook.\n2. Open **Credential Manager** and remove the `MicrosoftOffice` entries.\n"
                "3. Start Outlook and sign in again."
            ),
            visibility="end_users",
            category=_category("Troubleshooting"),
            tags=["outlook", "m365"],
            publish=True,
        )
        services.article_create(
            actor=poc_user,
            client=client,
            title="Outlook: a shared mailbox is missing",
            body="Shared mailboxes appear after Outlook restarts; ask your POC for access first.",
            visibility="end_users",
            category=_category("Troubleshooting"),
            tags=["outlook"],
            publish=True,
        )
        services.article_create(
            actor=poc_user,
            client=client,
            title="Connect to the office VPN from home",
            body="Install WireGuard, import the profile from the portal, connect.",
            visibility="end_users",
            category=_category("How-to"),
            tags=["vpn", "remote access"],
            publish=True,
        )
        services.article_create(
            actor=poc_user,
            client=client,
            title="Who approves new accounts",
            body="The practice manager approves, IT creates the account the same day.",
            visibility="client",
            category=_category("Policies"),
            tags=["accounts"],
            publish=True,
        )
        services.article_create(
            actor=poc_user,
            client=client,
            title="Printer fleet notes",
            body="Draft: list every printer and its IP.",
            tags=["printers"],
            publish=False,
        )
        services.article_create(
            actor=admin.user,
            client=None,
            title="How to reach the service desk",
            body="Escalate from the portal at any hour; call for P1.",
            visibility="client",
            category=_category("How-to"),
            publish=True,
        )
        services.article_create(
            actor=admin.user,
            client=None,
            title="Patch policy (provider only)",
            body="Second Tuesday, servers on Sunday.",
            visibility="internal",
            publish=True,
        )
        services.article_create(
            actor=other_poc_user,
            client=_other.client,
            title="Outlook password prompt at Zanzibar Corp",
            body="Zanzibar's own fix.",
            visibility="end_users",
            publish=True,
        )
        # Two of the R27 runbooks documented, so the progress card has something to show.
        for template in DocumentTemplate.objects.filter(required_for_coverage=True).order_by("position")[:2]:
            Document.objects.create(
                client=client, template=template, title=template.name, values=filled_values(template)
            )
    return {"client": client, "poc_user": poc_user, "admin": admin}


def _page(browser):
    page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
    page.set_default_timeout(20_000)  # CI runs this beside the rest of the suite on two cores
    return page


def test_r34_a_poc_writes_publishes_edits_and_sees_the_diff(
    browser, live_server, screenshots, world, settings, tmp_path
):
    settings.FILES_DIR = tmp_path
    page = _page(browser)
    sign_in_poc(page, live_server.url, world["poc_user"].email)
    page.click("nav >> text=Documentation")
    page.wait_for_url("**/portal/docs/")
    expect(page.locator("#client-articles")).to_contain_text("Outlook keeps asking for a password")
    expect(page.locator("#client-articles")).to_contain_text("Draft")  # the POC edits: status badges
    expect(page.locator("#provider-articles")).to_contain_text("How to reach the service desk")
    assert "Patch policy" not in page.content() and "Zanzibar" not in page.content()
    expect(page.locator("#runbook-progress")).to_contain_text("2 of 5")

    page.click("#new-article")
    page.fill("#id_title", "Reset a forgotten password")
    body = page.locator("#id_body")
    body.fill("## Steps\n\n1. Open the portal\n2. Click **reset**\n\n<script>alert(1)</script>")
    preview = page.locator("#kb-preview")
    expect(preview.locator("h2")).to_have_text("Steps")
    expect(preview.locator("strong")).to_have_text("reset")
    expect(preview).to_contain_text("<script>alert(1)</script>")  # shown as text, never run
    page.select_option("#id_visibility", "end_users")
    page.select_option("#id_category", label="How-to")
    page.fill("#id_tags", "passwords, accounts")
    page.click("#save-publish")
    page.wait_for_url("**/portal/docs/articles/*/")
    expect(page.locator("#article-title")).to_have_text("Reset a forgotten password")
    expect(page.locator("#article-body h2")).to_have_text("Steps")
    expect(page.locator(".cm-kb-meta")).to_contain_text("Published")
    article = Article.objects.get(title="Reset a forgotten password")
    assert (article.status, article.visibility, article.client_id) == ("published", "end_users", world["client"].pk)

    page.click("#edit-article")
    page.locator("#id_body").fill(
        "## Steps\n\n1. Open the portal\n2. Click **Forgot password** and follow the e-mail\n3. Sign in"
    )
    page.fill("#id_note", "Clearer steps")
    expect(page.locator("#kb-preview")).to_contain_text("Forgot password")
    # A screenshot attached beside the editor (htmx) and inserted into the text at the cursor.
    page.set_input_files(
        "#upload-form input[type=file]", files=[{"name": "reset-page.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.click("#upload-form button[type=submit]")
    expect(page.locator("#attachments")).to_contain_text("Attached reset-page.png")
    page.locator("#id_body").press("End")
    page.locator("#id_body").press("Control+End")
    page.click("#attachments [data-kb-insert]")
    expect(page.locator("#kb-preview img")).to_have_attribute("alt", "reset-page.png")
    page.screenshot(path=str(screenshots / "kb-article-edit.png"), full_page=True)
    page.click("#save-draft")
    page.wait_for_url(f"**/portal/docs/articles/{article.pk}/")
    expect(page.locator("#unpublished-note")).to_contain_text("readers still see version 1")
    page.click("#unpublished-note >> text=See what changed")
    page.wait_for_url("**/diff/**")
    diff = page.locator("#diff")
    expect(diff.locator("ins").first).to_be_visible()
    expect(diff).to_contain_text("Forgot password")
    expect(diff).to_contain_text("![reset-page.png](")
    expect(diff.locator("del").first).to_contain_text("reset")
    page.screenshot(path=str(screenshots / "kb-article-diff.png"), full_page=True)

    page.click("nav >> text=Reset a forgotten password")
    page.click("#publish-article")
    expect(page.locator(".alert-success")).to_contain_text("Published")
    article.refresh_from_db()
    assert article.published_version.number == 2 and not article.has_unpublished_changes
    image = page.locator("#article-body img")
    expect(image).to_be_visible()
    # decode() waits for the bytes (a loaded page may still be fetching the image on a busy machine).
    width = image.evaluate("async img => { await img.decode(); return img.naturalWidth; }")
    assert width == 240  # served inline, same origin
    page.screenshot(path=str(screenshots / "kb-article.png"), full_page=True)
    page.click("#more-actions")
    page.click("#history-link")
    page.wait_for_url("**/history/")
    expect(page.locator("#history tbody tr")).to_have_count(2)
    expect(page.locator("#history")).to_contain_text("Clearer steps")
    page.screenshot(path=str(screenshots / "kb-article-history.png"), full_page=True)
    page.click("#compare")  # the radio pair preselects the newest and the one before
    page.wait_for_url(re.compile(r"/diff/\?(b=2&a=1|a=1&b=2)$"))
    expect(page.locator("h1")).to_have_text("Version 1 → version 2")

    page.click("nav >> text=Documentation")
    expect(page.locator("#client-articles")).to_contain_text("Reset a forgotten password")
    page.screenshot(path=str(screenshots / "kb-portal-docs.png"), full_page=True)


def test_r33_related_articles_appear_beside_the_new_ticket_form_as_the_poc_types(
    browser, live_server, screenshots, world
):
    page = _page(browser)
    sign_in_poc(page, live_server.url, world["poc_user"].email)
    page.goto(f"{live_server.url}/portal/tickets/new/")
    panel = page.locator("#kb-suggestions")
    expect(panel).to_contain_text("appear here as you type")
    page.locator("#id_title").press_sequentially("Outlook password prompt", delay=30)
    expect(panel.locator("li").first).to_contain_text("Outlook keeps asking for a password")
    expect(panel.locator("li")).to_have_count(2)  # the title's words one by one: "password", then "outlook"
    expect(panel).to_contain_text("Outlook: a shared mailbox is missing")
    assert "Zanzibar" not in panel.inner_text()  # another client's article, never suggested
    link = panel.locator("a").first
    assert link.get_attribute("target") == "_blank"
    page.fill("#id_description", "Asks again after every restart")
    page.screenshot(path=str(screenshots / "kb-ticket-suggestions.png"), full_page=True)
    page.fill("#id_title", "")
    page.fill("#id_description", "")
    page.locator("#id_title").dispatch_event("input")
    expect(panel).to_contain_text("appear here as you type")
    expect(panel.locator("li")).to_have_count(0)


def test_r34_staff_open_the_knowledge_base_in_the_console(browser, live_server, screenshots, world):
    page = _page(browser)
    sign_in_with_mfa(page, live_server.url, world["admin"].user.email)
    page.click(".cm-sidebar >> text=Knowledge")
    page.wait_for_url("**/console/kb/")
    expect(page.locator("#provider-articles")).to_contain_text("Patch policy (provider only)")
    expect(page.locator("#client-list")).to_contain_text("Brightside Dental Group")
    page.screenshot(path=str(screenshots / "kb-console-home.png"), full_page=True)
    page.click("#client-list >> text=Brightside Dental Group")
    page.wait_for_url("**/console/kb/?client=*")
    expect(page.locator("#client-articles")).to_contain_text("Printer fleet notes")
    expect(page.locator("#runbook-progress")).to_contain_text("2 of 5")
    page.fill(".cm-kb-searchbox input[name=q]", "outlook")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/kb/search/**")
    results = page.locator("#search-results")
    expect(results).to_contain_text("Outlook keeps asking for a password")
    assert "Zanzibar" not in results.inner_text()  # the client selected: its articles and provider-wide ones
    page.screenshot(path=str(screenshots / "kb-console-search.png"), full_page=True)
