"""Demo documentation: provider-wide articles, and for every active client articles (some with
history to compare), environment documents with credentials, and the R27 runbooks — complete
for the Co-managed+ clients, half done for the others so the checklist shows its progress.
Written through the knowledge-base services (versions, audit and search index are real).
Idempotent: a client that has articles is left alone."""

from __future__ import annotations

from typing import Any

from comanaged.agreements.choices import AgreementStatus, Plan
from comanaged.agreements.models import Agreement, ListedApplication, VendorCoverage
from comanaged.kb.documents import document_save
from comanaged.kb.models import Article, DocumentTemplate
from comanaged.kb.services import article_create, article_update
from comanaged.kb.testing import filled_values
from comanaged.kb.vault import credential_reveal, credential_save
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import Person, StaffProfile

PROVIDER_ARTICLES = [
    (
        "How to report a phishing e-mail",
        "end_users",
        "Policies",
        ["security", "email"],
        "## Spotted something odd?\n\n1. Do **not** click links or open attachments.\n"
        "2. In Outlook choose **Report → Phishing**.\n3. If you clicked, call your IT contact at once.\n\n"
        "> We would rather hear about ten harmless e-mails than miss one real attack.",
    ),
    (
        "Using the support portal",
        "client",
        "How-to",
        ["portal"],
        "## Logging a ticket\n\nGive us the four things we need to start (R14):\n\n"
        "| What | Example |\n|---|---|\n| Nature of the problem | Outlook closes on start |\n"
        "| What you tried | Safe mode, repair |\n| Error messages | 0x800ccc0e |\n"
        "| When it happens | Every morning |\n",
    ),
    (
        "Desk: vendor escalation checklist",
        "internal",
        "Troubleshooting",
        ["desk", "vendor"],
        "1. Confirm the client's coverage record (R28) is current.\n2. Open the case as an authorised user.\n"
        "3. Log the vendor case number on the ticket.\n",
    ),
]

CLIENT_ARTICLES = [
    (
        "Printing from home",
        "end_users",
        "How-to",
        ["printing", "vpn"],
        "1. Connect to the **VPN**.\n2. Add the printer `\\\\print01\\Office-MFP`.\n3. Print a test page.\n",
        "1. Connect to the **VPN** (GlobalProtect).\n2. Add the printer `\\\\print01\\Office-MFP`.\n"
        "3. Choose *Black & white* for long documents.\n4. Print a test page.\n",
    ),
    (
        "New starter checklist",
        "client",
        "Onboarding",
        ["onboarding"],
        "- Create the account\n- Assign a licence\n- Prepare a laptop\n",
        "- Create the account (ask the POC)\n- Assign a Business Premium licence\n- Prepare a standard laptop\n"
        "- Enrol MFA on day one\n",
    ),
    ("VPN troubleshooting", "client", "Troubleshooting", ["vpn"], "Draft: common VPN errors and their fixes.", None),
]


def seed_knowledge() -> int:
    created = 0
    staff = StaffProfile.objects.filter(roles__code="technician").select_related("user").order_by("tier").first()
    if staff is None:
        return 0
    desk = staff.user
    if not Article.objects.filter(client__isnull=True).exists():
        for title, visibility, _category, tags, body in PROVIDER_ARTICLES:
            article_create(
                actor=desk, client=None, title=title, body=body, visibility=visibility, tags=tags,
                category=_category_named(_category), publish=True,
            )  # fmt: skip
            created += 1
    for agreement in Agreement.objects.filter(status=AgreementStatus.ACTIVE).select_related("client"):
        client = agreement.client
        if Article.objects.filter(client=client).exists():
            continue
        poc = Person.objects.filter(client=client, level=UserLevel.POC, user__isnull=False).first()
        if poc is None:
            continue
        created += _client_documentation(agreement, poc.user, desk)
    return created


def _category_named(name: str) -> Any:
    from comanaged.kb.models import Category

    return Category.objects.filter(name=name).first()


def _client_documentation(agreement: Agreement, poc: Any, desk: Any) -> int:
    client = agreement.client
    created = 0
    for title, visibility, category, tags, first, second in CLIENT_ARTICLES:
        article = article_create(
            actor=poc, client=client, title=title, body=first, visibility=visibility, tags=tags,
            category=_category_named(category), publish=second is not None,
        )  # fmt: skip
        if second is not None:
            article_update(actor=desk, article=article, body=second, note="Updated after a ticket", publish=True)
        created += 1
    article_create(
        actor=desk, client=client, title="Desk notes: network quirks", visibility="internal",
        body="The core switch reboots slowly (about 6 minutes); do not power-cycle it twice.",
    )  # fmt: skip
    created += 1

    templates = {t.slug: t for t in DocumentTemplate.objects.all()}
    required = [t for t in templates.values() if t.required_for_coverage]
    # Co-managed+ clients finished their runbooks during onboarding (R24, R27); others are part way.
    for template in required if agreement.plan == Plan.CO_MANAGED_PLUS else required[:2]:
        document_save(actor=poc, client=client, template=template, values=filled_values(template))
        created += 1
    network = document_save(
        actor=poc, client=client, template=templates["network-overview"], title="Head office network",
        values={"lan_subnet": "10.20.0.0/24", "gateway": "10.20.0.1", "dns_servers": "10.20.0.10, 1.1.1.1",
                "wifi_ssids": f"{client.code}-staff, {client.code}-guest"},
        body="## Diagram\n\nFirewall → core switch → floor switches.\n",
    )  # fmt: skip
    isp = document_save(
        actor=poc, client=client, template=templates["internet-isp"], title="Primary internet",
        values={"isp": "Lumen", "support_phone": "+1 800 555 0199", "bandwidth": "1 Gbps fibre"},
    )  # fmt: skip
    credential = credential_save(
        actor=poc, document=isp, name="ISP customer portal", username=f"{client.code}-admin",
        url="https://portal.lumen.example", password=f"demo-{client.code}-Fibre!2026",
    )  # fmt: skip
    credential_save(actor=desk, document=network, name="Firewall admin", username="admin", password="demo-Fw-2026!")  # noqa: S106 - demo data
    created += 4
    coverage = VendorCoverage.objects.filter(client=client).first()
    if coverage is not None:
        document_save(
            actor=desk, client=client, template=templates["vendor-contract"], title=f"{coverage.vendor} support",
            values={"vendor": coverage.vendor}, coverage_ids=[coverage.pk],
        )  # fmt: skip
        created += 1
    for application in ListedApplication.objects.filter(agreement=agreement)[:1]:
        document_save(
            actor=desk, client=client, template=templates["lob-application"], title=application.name,
            values={"version": application.version or "current"}, application_ids=[application.pk],
        )  # fmt: skip
        created += 1
    credential_reveal(actor=desk, credential_id=credential.pk, field="password", ip_address="10.0.0.5")
    return created
