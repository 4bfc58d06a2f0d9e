"""The environment-documentation pages (R34) and the runbook checklist (R27), in the portal (the
POC, as in MyGlue) and the console (staff): isolation on every page and POST, the checklist
opening Co-managed+ end-user intake, the credential vault's reveal log and rate limit, no secret
in any page, row or audit entry, typed values refused beside their field, hostile text inert."""

from __future__ import annotations

import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from comanaged.agreements.models import ListedApplication
from comanaged.agreements.selectors import person_may_escalate
from comanaged.agreements.tests.factories import VendorCoverageFactory
from comanaged.core.models import AuditEntry
from comanaged.core.testing import assert_isolated
from comanaged.kb.choices import RevealOutcome
from comanaged.kb.documents import document_save
from comanaged.kb.models import Credential, CredentialAccess, Document, DocumentTemplate, RunbookChecklist
from comanaged.kb.runbooks import runbook_status
from comanaged.kb.testing import filled_values
from comanaged.kb.tests.helpers import Company, company
from comanaged.kb.vault import credential_save
from comanaged.tenancy.tests.factories import SiteFactory, make_staff
from comanaged.tickets.tests.helpers import TUESDAY_11PM_NY

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"

PASSWORD = "Fw-Adm1n!pass-7c2e9"
NOTES = "Break-glass: rotate after use 51af"
SEED = "JBSWY3DPEHPK3PXP"
DEFAULT_CHECKLIST = [
    "after-hours-escalation",
    "password-reset",
    "onboarding-offboarding",
    "backup-restore",
    "critical-lob-apps",
]


# --- set-up -----------------------------------------------------------------------------------


def template(slug: str) -> DocumentTemplate:
    return DocumentTemplate.objects.get(slug=slug)


def form_data(chosen: DocumentTemplate, **override: Any) -> dict[str, Any]:
    """What the POC types into the form of ``chosen``, every field filled in."""
    data: dict[str, Any] = {"title": chosen.name, "body": "## Steps\n\n1. Call", "visibility": "client"}
    for key, value in filled_values(chosen).items():
        data[f"value_{key}"] = ("yes" if value else "no") if isinstance(value, bool) else value
    data.update(override)
    return data


def portal(name: str, *args: Any) -> str:
    return reverse(f"portal:kb_{name}", args=args)


def console(name: str, *args: Any, client: Any = None) -> str:
    url = reverse(f"console:kb_{name}", args=args)
    return f"{url}?client={client.pk}" if client is not None else url


def isp_document(acme: Company, visibility: str = "client", actor: Any = None) -> Document:
    return document_save(
        actor=actor or acme.poc,
        client=acme.client,
        template=template("internet-isp"),
        title="Fibre line",
        values={"isp": "Lumen"},
        visibility=visibility,
    )


def firewall_login(document: Document, actor: Any) -> Credential:
    return credential_save(
        actor=actor,
        document=document,
        name="Firewall admin",
        username="admin",
        url="https://fw.acme.example",
        password=PASSWORD,
        notes=NOTES,
        totp_seed=SEED,
    )


def reveal(http: Any, credential: Credential, field: str = "password", side: str = "portal") -> Any:
    url = reverse(f"{side}:kb_credential_reveal", args=[credential.pk])
    return http.post(url, {"field": field}, HTTP_HX_REQUEST="true")


@pytest.fixture
def acme() -> Company:
    return company("co_managed_plus")


@pytest.fixture
def other() -> Company:
    return company()


@pytest.fixture
def staff() -> dict[str, Any]:
    return {
        "technician": make_staff("technician").user,  # reads and writes documentation, every client
        "outsider": make_staff("technology_alignment_engineer").user,  # on no client's team
        "billing": make_staff("billing").user,  # sees clients, may change agreements, not documentation
        "pm": make_staff("onboarding_pm"),  # changes agreements (the R27 checklist); its team's clients
    }


def state() -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        list(Document.objects.order_by("pk").values_list("pk", "title", "values", "body", "visibility")),
        list(Credential.objects.order_by("pk").values_list("pk", "name", "username")),
        list(RunbookChecklist.objects.values_list("pk", flat=True)),
        AuditEntry.objects.count(),
    )


# --- isolation (GUIDE convention 3) -------------------------------------------------------------


def test_every_portal_document_page_is_isolated(client, acme, other, staff):
    document = isp_document(acme)
    credential = firewall_login(document, acme.poc)
    pages = [
        portal("environment"),
        portal("document_new", "server"),
        portal("access_log"),
        portal("import"),
    ]
    for url in pages:  # the client's own pages: an end-user (no documents, R34) and staff are refused
        assert_isolated(client, url, owner=acme.poc, wrong_role=acme.end_user, login_path=LOGIN)
        assert_isolated(client, url, owner=acme.poc, wrong_role=staff["technician"], login_path=LOGIN)
    objects = [
        portal("document", document.pk),
        portal("document_edit", document.pk),
        portal("document_delete", document.pk),
        portal("credential_new", document.pk),
        portal("credential_edit", credential.pk),
        portal("credential_delete", credential.pk),
    ]
    for url in objects:
        assert_isolated(
            client, url, owner=acme.poc, outsider=other.poc, wrong_role=acme.end_user, login_path=LOGIN, state=state
        )
    assert_isolated(client, portal("export"), owner=acme.poc, wrong_role=acme.end_user, login_path=LOGIN)


def test_every_portal_write_is_isolated_and_refusals_change_nothing(client, acme, other):
    document = isp_document(acme)
    credential = firewall_login(document, acme.poc)
    isp = template("internet-isp")
    posts = [
        (portal("document_new", "internet-isp"), form_data(isp, title="Second line")),
        (portal("document_edit", document.pk), form_data(isp, title="Renamed line")),
        (portal("credential_new", document.pk), {"name": "Router", "password": "x-1"}),
        (portal("credential_edit", credential.pk), {"name": "Renamed login"}),
        (portal("credential_delete", credential.pk), {}),
        (portal("document_delete", document.pk), {}),
    ]
    for url, data in posts:
        outsider = None if "new/internet-isp" in url else other.poc  # a new document is the POC's own client's
        assert_isolated(
            client,
            url,
            method="post",
            data=data,
            owner=acme.poc,
            outsider=outsider,
            wrong_role=acme.end_user,
            state=state,
            login_path=LOGIN,
        )
    assert not Document.objects.filter(pk=document.pk).exists()  # the owner's delete went through
    assert Document.objects.filter(title="Second line", client=acme.client).exists()


def test_every_console_document_page_is_isolated(client, acme, staff):
    document = isp_document(acme)
    credential = firewall_login(document, acme.poc)
    for name, args in (("environment", ()), ("document_new", ("server",)), ("access_log", ()), ("import", ())):
        assert_isolated(
            client,
            console(name, *args, client=acme.client),
            owner=staff["technician"],
            outsider=staff["outsider"],
            wrong_role=acme.poc,
            login_path=LOGIN,
        )
    for name, pk in (
        ("document", document.pk),
        ("document_edit", document.pk),
        ("document_delete", document.pk),
        ("credential_new", document.pk),
        ("credential_edit", credential.pk),
        ("credential_delete", credential.pk),
    ):
        assert_isolated(
            client,
            console(name, pk),
            owner=staff["technician"],
            outsider=staff["outsider"],
            wrong_role=acme.poc,
            login_path=LOGIN,
            state=state,
        )
    # Staff whose role does not write documentation read it, but do not write it.
    client.force_login(staff["billing"])
    assert client.get(console("document", document.pk)).status_code == 200
    assert client.get(console("document_edit", document.pk)).status_code == 403
    assert client.get(console("document_new", "server", client=acme.client)).status_code == 403
    assert client.get(console("export", client=acme.client)).status_code == 403


def test_console_writes_are_isolated_and_refusals_change_nothing(client, acme, staff):
    document = isp_document(acme)
    credential = firewall_login(document, acme.poc)
    isp = template("internet-isp")
    posts = [
        (console("document_new", "internet-isp", client=acme.client), form_data(isp, title="Staff line")),
        (console("document_edit", document.pk), form_data(isp, title="Staff renamed")),
        (console("credential_edit", credential.pk), {"name": "Staff renamed login"}),
        (console("credential_delete", credential.pk), {}),
    ]
    for url, data in posts:
        assert_isolated(
            client,
            url,
            method="post",
            data=data,
            owner=staff["technician"],
            outsider=staff["outsider"],
            wrong_role=acme.poc,
            state=state,
            login_path=LOGIN,
        )
    assert Document.objects.filter(title="Staff line", client=acme.client).exists()
    assert not Credential.objects.filter(pk=credential.pk).exists()


# --- R27: the runbook checklist --------------------------------------------------------------


def test_r27_the_checklist_completes_as_the_poc_documents_and_only_then_opens_after_hours_intake(client, acme):
    def intake_open() -> bool:  # an end-user's after-hours P1 under Co-managed+ (R11, R27)
        return person_may_escalate(person=acme.end_user_person, priority="P1", at=TUESDAY_11PM_NY).allowed

    client.force_login(acme.poc)
    page = client.get(portal("environment")).content.decode()
    assert "0 of 5" in page and "opens only when every runbook below is complete" in page
    assert page.count('data-state="missing"') == 5
    assert not intake_open()

    for slug in DEFAULT_CHECKLIST[:-1]:
        response = client.post(portal("document_new", slug), form_data(template(slug)))
        assert response.status_code == 302, response.content.decode()[:2000]
    lob = template("critical-lob-apps")
    response = client.post(portal("document_new", lob.slug), form_data(lob, value_applications=""))
    assert response.status_code == 302  # saved half done: allowed, but not complete
    page = client.get(portal("environment")).content.decode()
    assert "4 of 5" in page
    assert "Incomplete — missing Applications, most critical first" in page
    assert 'data-state="incomplete"' in page and "Complete it" in page
    assert not intake_open()

    document = Document.objects.get(template=lob, client=acme.client)
    response = client.post(
        portal("document_edit", document.pk), form_data(lob, value_applications="Dentrix\nQuickBooks")
    )
    assert response.status_code == 302
    page = client.get(portal("environment")).content.decode()
    assert "5 of 5" in page and "coverage is open" in page
    assert runbook_status(acme.agreement).complete
    assert intake_open()


def test_r27_staff_who_change_agreements_customise_and_reset_the_checklist(client, acme, staff):
    url = console("environment", client=acme.client)
    server = template("server")
    # A technician may write documentation but not change agreements: no form, and a POST is refused.
    client.force_login(staff["technician"])
    assert "checklist-customise" not in client.get(url).content.decode()
    before = state()
    assert client.post(url, {"action": "checklist_set", "templates": [server.pk]}).status_code == 403
    assert state() == before
    # A POC never customises it either.
    client.force_login(acme.poc)
    assert client.post(portal("environment"), {"action": "checklist_set", "templates": [server.pk]}).status_code == 403
    assert not RunbookChecklist.objects.exists()

    acme.client.team.add(staff["pm"])
    client.force_login(staff["pm"].user)
    response = client.post(url, {"action": "checklist_set", "templates": [server.pk]})
    assert response.status_code == 302
    status = runbook_status(acme.agreement)
    assert status.customised and [item.template.slug for item in status.items] == ["server"]
    page = client.get(url).content.decode()
    assert "0 of 1" in page and "This agreement's own list" in page
    client.post(url, {"action": "checklist_reset"})
    status = runbook_status(acme.agreement)
    assert not status.customised and status.total == 5


# --- documents ---------------------------------------------------------------------------------


def test_a_value_of_the_wrong_type_is_refused_beside_its_field_and_nothing_is_saved(client, acme):
    client.force_login(acme.poc)
    chosen = template("after-hours-escalation")
    response = client.post(
        portal("document_new", chosen.slug),
        form_data(chosen, value_first_contact_phone="call Jane", value_spending_limit="a lot"),
    )
    assert response.status_code == 200
    page = response.content.decode()
    phone = re.search(r'data-error-for="value_first_contact_phone">([^<]*)<', page)
    number = re.search(r'data-error-for="value_spending_limit">([^<]*)<', page)
    assert phone and "must be a phone number" in phone.group(1)
    assert number and "must be a number" in number.group(1)
    assert "Nothing was saved" in page
    assert not Document.objects.exists()


def test_a_poc_never_sees_or_chooses_provider_only_visibility(client, acme):
    client.force_login(acme.poc)
    page = client.get(portal("document_new", "server")).content.decode()
    assert 'value="internal"' not in page and "Provider only" not in page
    chosen = template("server")
    response = client.post(portal("document_new", "server"), form_data(chosen, visibility="internal"))
    assert response.status_code == 200 and not Document.objects.exists()


def test_staff_may_keep_a_document_provider_only_and_the_poc_then_cannot_see_it(client, acme, staff):
    client.force_login(staff["technician"])
    page = client.get(console("document_new", "server", client=acme.client)).content.decode()
    assert 'value="internal"' in page
    response = client.post(
        console("document_new", "server", client=acme.client),
        form_data(template("server"), title="Hypervisor", visibility="internal"),
    )
    assert response.status_code == 302
    client.get(response["Location"])  # the "saved" message is read here, not on the POC's page
    document = Document.objects.get(title="Hypervisor")
    assert document.visibility == "internal"
    client.force_login(acme.poc)
    assert "Hypervisor" not in client.get(portal("environment")).content.decode()
    assert client.get(portal("document", document.pk)).status_code == 404


def test_r28_links_are_the_clients_own_records_and_coverage_is_linked_not_copied(client, acme, other):
    site = SiteFactory(client=acme.client, name="Main office")
    coverage = VendorCoverageFactory(client=acme.client, vendor="Dell", covers="PowerEdge R750")
    application = ListedApplication.objects.create(client=acme.client, agreement=acme.agreement, name="Dentrix")
    foreign = VendorCoverageFactory(client=other.client, vendor="HPE")
    chosen = template("lob-application")
    client.force_login(acme.poc)
    page = client.get(portal("document_new", chosen.slug)).content.decode()
    assert "Dentrix" in page and "PowerEdge R750" in page and "Main office" in page and "HPE" not in page
    response = client.post(
        portal("document_new", chosen.slug), form_data(chosen, vendor_coverages=[coverage.pk, foreign.pk])
    )
    assert response.status_code == 200 and not Document.objects.exists()  # another client's record
    response = client.post(
        portal("document_new", chosen.slug),
        form_data(chosen, applications=[application.pk], vendor_coverages=[coverage.pk], sites=[site.pk]),
    )
    document = Document.objects.get()
    assert list(document.vendor_coverages.all()) == [coverage]  # the one record, linked (R28)
    assert "Dell" not in str(document.values) and "PowerEdge" not in document.body
    page = client.get(response["Location"]).content.decode()
    assert "PowerEdge R750" in page and "Dentrix" in page and "Main office" in page


def test_values_are_shown_typed_urls_as_safe_links_and_booleans_as_yes_or_no(client, acme):
    chosen = template("password-reset")
    document = document_save(
        actor=acme.poc,
        client=acme.client,
        template=chosen,
        values={
            "identity_check": "Manager confirms",
            "mfa_reset_allowed": False,
            "self_service_url": "https://sspr.example.com",
        },
    )
    client.force_login(acme.poc)
    page = client.get(portal("document", document.pk)).content.decode()
    assert '<a href="https://sspr.example.com" rel="noopener noreferrer" target="_blank">' in page
    assert re.search(r'data-key="mfa_reset_allowed">\s*No\s*</dd>', page)
    assert "Manager confirms" in page


def test_hostile_html_in_values_title_and_body_is_inert(client, acme):
    client.force_login(acme.poc)
    chosen = template("server")
    response = client.post(
        portal("document_new", chosen.slug),
        form_data(
            chosen,
            title="<script>alert(1)</script>",
            value_role="<img src=x onerror=alert(2)>",
            body=(
                "<script>alert(3)</script>\n\n<img src=x onerror=alert(4)>\n\n"
                '[click](javascript:alert(5))\n\n<a href="javascript:alert(6)">x</a>'
            ),
        ),
    )
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    for hostile in ("<script>alert", "<img src=x", '<a href="javascript:', "onerror=alert(2)>"):
        assert hostile not in page, hostile
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(2)&gt;" in page
    # A URL field refuses anything but http(s), beside the field.
    response = client.post(
        portal("document_new", "password-reset"),
        form_data(template("password-reset"), value_self_service_url="javascript:alert(7)"),
    )
    assert 'data-error-for="value_self_service_url"' in response.content.decode()


def test_the_new_form_starts_from_the_templates_body_and_delete_takes_the_credentials(client, acme):
    client.force_login(acme.poc)
    page = client.get(portal("document_new", "backup-restore")).content.decode()
    assert "## What is backed up" in page and "Restore approver phone" in page
    document = isp_document(acme)
    firewall_login(document, acme.poc)
    assert client.post(portal("document_delete", document.pk)).status_code == 302
    assert not Document.objects.exists() and not Credential.objects.exists()
    assert AuditEntry.objects.filter(action="delete", object_type="kb.document").exists()


def test_environment_groups_documents_by_template_and_offers_the_templates(client, acme):
    isp_document(acme)
    document_save(
        actor=acme.poc, client=acme.client, template=template("server"), title="FS01", values={"role": "Files"}
    )
    firewall_login(Document.objects.get(title="FS01"), acme.poc)
    client.force_login(acme.poc)
    page = client.get(portal("environment")).content.decode()
    assert page.index("Internet / ISP") < page.index("Fibre line") < page.index("FS01")
    assert 'data-template="network-overview"' in page  # "Document something"
    assert 'bi-key"></i> 1' in page  # FS01's credential count


def test_the_console_without_a_client_offers_the_clients_in_reach(client, acme, other, staff):
    client.force_login(staff["technician"])
    page = client.get(console("environment")).content.decode()
    assert acme.client.name in page and other.client.name in page
    client.force_login(staff["outsider"])
    page = client.get(console("environment")).content.decode()
    assert acme.client.name not in page
    assert client.get(console("environment") + f"?client={acme.client.pk}").status_code == 404


# --- the credential vault --------------------------------------------------------------------


def test_r34_no_plaintext_secret_in_the_pages_the_database_or_the_audit_log(client, acme):
    client.force_login(acme.poc)
    document = isp_document(acme)
    response = client.post(
        portal("credential_new", document.pk),
        {"name": "Firewall admin", "username": "admin", "url": "https://fw.acme.example",
         "password": PASSWORD, "notes": NOTES, "totp_seed": f"otpauth://totp/Acme:admin?secret={SEED}&issuer=Acme"},
    )  # fmt: skip
    assert response.status_code == 302
    credential = Credential.objects.get()
    pages = [
        client.get(portal("document", document.pk)).content.decode(),
        client.get(portal("credential_edit", credential.pk)).content.decode(),
        # A refused edit re-renders the form: what was typed into the secret fields is not echoed.
        client.post(
            portal("credential_edit", credential.pk),
            {"name": "Firewall admin", "url": "not a url", "password": "N3w-" + PASSWORD, "notes": "new " + NOTES},
        ).content.decode(),
    ]
    for page in pages:
        for secret in (PASSWORD, NOTES, SEED):
            assert secret not in page
    assert "An http(s) address" in pages[2]
    with connection.cursor() as cursor:
        cursor.execute("SELECT password, notes, totp_seed FROM kb_credential WHERE id = %s", [credential.pk])
        row = cursor.fetchone()
    assert all(row) and not any(secret in " ".join(row) for secret in (PASSWORD, NOTES, SEED))
    for entry in AuditEntry.objects.all():
        text = f"{entry.changes} {entry.note} {entry.object_label}"
        assert not any(secret in text for secret in (PASSWORD, NOTES, SEED))
    # Badges say which secrets exist; the stored ones are unchanged by the refused edit.
    assert "Password" in pages[0] and "One-time code" in pages[0] and "Notes" in pages[0]
    assert Credential.objects.get().password.reveal() == PASSWORD


def test_a_blank_secret_keeps_the_stored_one_and_remove_clears_it(client, acme):
    client.force_login(acme.poc)
    credential = firewall_login(isp_document(acme), acme.poc)
    url = portal("credential_edit", credential.pk)
    assert client.post(url, {"name": "Firewall", "username": "root", "password": ""}).status_code == 302
    credential.refresh_from_db()
    assert (credential.name, credential.username, credential.password.reveal()) == ("Firewall", "root", PASSWORD)
    assert client.post(url, {"name": "Firewall", "clear_notes": "on"}).status_code == 302
    credential.refresh_from_db()
    assert credential.notes is None and credential.password.reveal() == PASSWORD
    response = client.post(url, {"name": "Firewall", "totp_seed": "not base32 !!"})
    assert "A TOTP seed" in response.content.decode()


def test_r34_a_reveal_shows_the_secret_once_is_logged_and_the_poc_reads_the_log(client, acme, staff):
    credential = firewall_login(isp_document(acme), acme.poc)
    client.force_login(acme.poc)
    response = reveal(client, credential)
    page = response.content.decode()
    assert response.status_code == 200 and PASSWORD in page and "data-kb-copy" in page
    assert "no-store" in response["Cache-Control"]
    assert 'data-hide-after="30"' in page and "<template data-kb-restore>" in page
    totp_page = reveal(client, credential, "totp").content.decode()
    assert re.search(r'<code class="kb-secret-value" data-kb-value>\d{6}</code>', totp_page)
    assert "s more" in totp_page and SEED not in totp_page
    entry = CredentialAccess.objects.filter(field="password").get()
    assert (entry.user, entry.outcome, entry.ip_address) == (acme.poc, RevealOutcome.REVEALED, "127.0.0.1")
    assert AuditEntry.objects.filter(action="reveal:password").exists()

    log = client.get(portal("access_log")).content.decode()
    assert acme.poc.email in log and "Firewall admin (Fibre line)" in log and "Revealed" in log
    assert "127.0.0.1" not in log  # addresses (staff's too) are the provider's, not shown on the portal
    client.force_login(staff["technician"])
    assert "Firewall admin (Fibre line)" in client.get(console("access_log", client=acme.client)).content.decode()
    client.force_login(acme.end_user)
    assert client.get(portal("access_log")).status_code == 403


def test_a_reveal_without_javascript_is_a_page_and_a_missing_secret_is_said_plainly(client, acme):
    credential = credential_save(actor=acme.poc, document=isp_document(acme), name="Wi-Fi", password="guest-wifi-71")
    client.force_login(acme.poc)
    response = client.post(portal("credential_reveal", credential.pk), {"field": "password"})
    assert response.status_code == 200 and "guest-wifi-71" in response.content.decode()
    assert "<html" in response.content.decode()
    response = reveal(client, credential, "totp")
    assert response.status_code == 200 and "has no one-time code" in response.content.decode()
    assert client.post(portal("credential_reveal", credential.pk), {"field": "seed"}).status_code == 400
    assert client.get(portal("credential_reveal", credential.pk)).status_code == 405


def test_r34_a_poc_cannot_see_or_reveal_a_provider_only_or_another_clients_credential(client, acme, other, staff):
    internal = isp_document(acme, visibility="internal", actor=staff["technician"])
    hidden = firewall_login(internal, staff["technician"])
    theirs = firewall_login(isp_document(other), other.poc)
    client.force_login(acme.poc)
    assert client.get(portal("document", internal.pk)).status_code == 404
    assert client.get(portal("credential_edit", hidden.pk)).status_code == 404
    for credential in (hidden, theirs):
        response = reveal(client, credential)
        assert response.status_code == 404 and PASSWORD not in response.content.decode()
    # Both attempts are logged, refused, for the credential's own client.
    denied = CredentialAccess.objects.filter(outcome=RevealOutcome.DENIED).order_by("pk")
    assert [(e.client_id, e.user_id) for e in denied] == [(acme.client.pk, acme.poc.pk), (other.client.pk, acme.poc.pk)]
    assert not AuditEntry.objects.filter(action__startswith="reveal").exists()
    # Staff of the knowledge roles see the internal document's credential. The owners' POCs do not
    # read an outsider's probe, nor attempts on provider-only credentials (their names are hidden).
    client.force_login(staff["technician"])
    assert PASSWORD in reveal(client, hidden, side="console").content.decode()
    client.force_login(other.poc)
    assert "Refused: no access" not in client.get(portal("access_log")).content.decode()
    client.force_login(acme.poc)
    assert "Refused: no access" not in client.get(portal("access_log")).content.decode()
    assert not CredentialAccess.objects.filter(outcome=RevealOutcome.DENIED, visible_to_client=True).exists()


def test_r34_reveals_beyond_the_rate_limit_are_refused_logged_and_said_plainly(client, acme, settings):
    settings.KB_REVEAL_LIMIT = 2
    credential = firewall_login(isp_document(acme), acme.poc)
    client.force_login(acme.poc)
    assert PASSWORD in reveal(client, credential).content.decode()
    assert NOTES in reveal(client, credential, "notes").content.decode()
    refused = reveal(client, credential)
    page = refused.content.decode()
    assert refused.status_code == 200 and PASSWORD not in page and "wait a little" in page
    assert client.post(portal("credential_reveal", credential.pk), {"field": "password"}).status_code == 429
    outcomes = list(CredentialAccess.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["revealed", "revealed", "rate_limited"]  # refusals logged once per credential and window
    assert "Refused: too many reveals" in client.get(portal("access_log")).content.decode()


def test_reveal_posts_are_isolated(client, acme, other, staff):
    credential = firewall_login(isp_document(acme), acme.poc)
    revealed = lambda: AuditEntry.objects.filter(action__startswith="reveal").count()  # noqa: E731
    assert_isolated(
        client,
        portal("credential_reveal", credential.pk),
        method="post",
        data={"field": "password"},
        owner=acme.poc,
        outsider=other.poc,
        wrong_role=acme.end_user,
        state=revealed,
        login_path=LOGIN,
    )
    assert_isolated(
        client,
        console("credential_reveal", credential.pk),
        method="post",
        data={"field": "password"},
        owner=staff["technician"],
        outsider=staff["outsider"],
        wrong_role=acme.poc,
        login_path=LOGIN,
    )


# --- export and import -----------------------------------------------------------------------


def test_export_is_a_zip_of_the_clients_documentation_for_its_poc(client, acme, other):
    isp_document(acme)
    document_save(actor=other.poc, client=other.client, template=template("server"), title="Their line")
    client.force_login(acme.poc)
    response = client.get(portal("export"))
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith("attachment")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    text = " ".join(zipfile.ZipFile(io.BytesIO(response.content)).read(n).decode() for n in names)
    assert "Fibre line" in text and "Their line" not in text


def test_import_shows_what_was_created_and_what_was_skipped_and_why(client, acme):
    client.force_login(acme.poc)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("wifi.md", "# Guest Wi-Fi\n\nThe guest network is *Acme-Guest*.\n")
        zipped.writestr("setup.exe", b"MZ\x00\x00")
        zipped.writestr("../escape.md", "# Out\n")
    upload = SimpleUploadedFile("docs.zip", archive.getvalue(), "application/zip")
    response = client.post(portal("import"), {"upload": upload})
    page = response.content.decode()
    assert response.status_code == 200 and 'id="import-report"' in page
    report = page[page.index('id="import-report"') :]
    assert "Guest Wi-Fi" in report and "setup.exe" in report and "escape.md" in report
    assert "1 created · 2 skipped" in report
    # One file that is not Markdown: refused beside the field, nothing created.
    bad = SimpleUploadedFile("evil.exe", b"MZ\x00\x00", "application/octet-stream")
    page = client.post(portal("import"), {"upload": bad}).content.decode()
    assert 'data-error-for="upload"' in page and 'id="import-report"' not in page


# --- the admin: templates saved through the service ------------------------------------------


def template_admin_data(**override: Any) -> dict[str, Any]:
    data = {
        "name": "Printer",
        "description": "One printer",
        "icon": "printer",
        "fields": '[{"key": "model", "label": "Model", "type": "text", "required": true}]',
        "body_template": "## Toner\n",
        "is_active": "on",
        "position": "40",
    }
    data.update(override)
    return data


def test_admin_templates_are_saved_through_the_service_with_their_fields_checked(client):
    admin_user = make_staff("admin").user
    client.force_login(admin_user)
    add = reverse("admin:kb_documenttemplate_add")
    bad = '[{"key": "Model!", "label": "Model", "type": "text"}, {"key": "ip", "label": "IP", "type": "ipv9"}]'
    response = client.post(add, template_admin_data(fields=bad))
    page = response.content.decode()
    assert response.status_code == 200 and "the key must be lower-case" in page and "the type must be one of" in page
    assert not DocumentTemplate.objects.filter(name="Printer").exists()

    response = client.post(add, template_admin_data())
    assert response.status_code == 302
    printer = DocumentTemplate.objects.get(name="Printer")
    assert (printer.slug, printer.position, printer.fields[0]["key"]) == ("printer", 40, "model")
    assert AuditEntry.objects.filter(object_type="kb.documenttemplate", object_id=str(printer.pk)).exists()


def test_admin_cannot_retype_a_template_field_that_documents_already_fill_in(client, acme):
    server = template("server")
    document_save(actor=acme.poc, client=acme.client, template=server, title="FS01", values={"virtual": True})
    client.force_login(make_staff("admin").user)
    fields = [dict(item) for item in server.fields]
    for item in fields:
        if item["key"] == "virtual":
            item["type"] = "text"
    url = reverse("admin:kb_documenttemplate_change", args=[server.pk])
    response = client.post(url, template_admin_data(name=server.name, fields=json.dumps(fields)), follow=True)
    assert "Nothing was saved" in response.content.decode() and "virtual" in response.content.decode()
    assert template("server").fields == server.fields


def test_admin_template_and_log_pages_are_role_gated_and_the_log_is_read_only(client, acme, staff):
    client.force_login(staff["technician"])  # reads templates, does not change them
    assert client.get(reverse("admin:kb_documenttemplate_changelist")).status_code == 200
    assert client.post(reverse("admin:kb_documenttemplate_add"), template_admin_data()).status_code == 403
    credential = firewall_login(isp_document(acme), acme.poc)
    client.force_login(acme.poc)
    reveal(client, credential)
    client.force_login(make_staff("admin").user)
    entry = CredentialAccess.objects.get()
    assert client.get(reverse("admin:kb_credentialaccess_changelist")).status_code == 200
    assert client.get(reverse("admin:kb_credentialaccess_add")).status_code == 403
    assert client.post(reverse("admin:kb_credentialaccess_delete", args=[entry.pk]), {"post": "yes"}).status_code == 403
    assert CredentialAccess.objects.filter(pk=entry.pk).exists()
    client.force_login(staff["outsider"])  # on no client's team: the row does not exist for them
    assert client.get(reverse("admin:kb_credentialaccess_change", args=[entry.pk])).status_code == 404
