"""Realistic demo data: a provider with staff of every role and a healthcare vertical desk,
and clients on Co-managed, Co-managed+ and vertical agreements.

Idempotent: every row is looked up by its natural key first and only created when missing, so
running it twice changes nothing. Rows are written through the services (so they are audited
and validated like any other write).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP
from django.db import transaction
from django.utils import timezone

from comanaged.agreements.choices import AgreementStatus, BackupService, CoverageKind, Plan
from comanaged.agreements.models import Agreement, ListedApplication, VendorCoverage
from comanaged.agreements.services import (
    agreement_activate,
    agreement_save,
    agreement_terminate,
    listed_application_save,
    vendor_coverage_save,
)
from comanaged.demo.kb_seed import seed_knowledge
from comanaged.demo.tickets_seed import seed_tickets
from comanaged.kb.models import Article, Document
from comanaged.tenancy.choices import AbsenceKind, PersonKind, Tier, UserLevel
from comanaged.tenancy.models import (
    Absence,
    Client,
    Closure,
    Person,
    ProviderSettings,
    Site,
    Skill,
    StaffProfile,
    User,
    Vertical,
)
from comanaged.tenancy.services import (
    absence_save,
    client_save,
    closure_save,
    person_save,
    provider_settings_update,
    site_save,
    staff_profile_save,
    user_create,
)
from comanaged.tickets.categories import ensure_default_categories
from comanaged.tickets.models import Ticket

DEMO_PASSWORD = "demo-Passw0rd-2026"
# Every demo staff member is enrolled in TOTP with this secret (staff must use MFA);
# `comanaged demo-code` prints the current code, or add the secret to an authenticator app.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPCOMANAGEDDEMOAAA"  # base32, 160 bits
DOMAIN = "demo.comanaged.test"


@dataclass(frozen=True)
class StaffSeed:
    email: str
    name: str
    title: str
    roles: tuple[str, ...]
    tier: int | None = None
    skills: tuple[str, ...] = ()
    verticals: tuple[str, ...] = ()


STAFF = [
    StaffSeed("admin", "Avery Morgan", "Service delivery director", ("admin",)),
    StaffSeed("dispatch", "Dana Whitfield", "Service desk dispatcher", ("dispatcher",)),
    StaffSeed("liam.l1", "Liam O'Connor", "Service desk technician", ("technician",), Tier.L1, ("Microsoft 365",)),
    StaffSeed(
        "priya.l2",
        "Priya Patel",
        "Systems engineer",
        ("technician",),
        Tier.L2,
        ("Microsoft 365", "Windows Server", "Networking"),
    ),
    StaffSeed(
        "marcus.l3",
        "Marcus Chen",
        "Senior network engineer",
        ("technician",),
        Tier.L3,
        ("Networking", "Firewalls", "Backup and DR"),
    ),
    StaffSeed(
        "hannah.hc",
        "Hannah Brooks",
        "Healthcare desk technician",
        ("technician",),
        Tier.L2,
        ("Microsoft 365", "EHR systems"),
        ("healthcare",),
    ),
    StaffSeed(
        "omar.hc",
        "Omar Haddad",
        "Healthcare systems engineer",
        ("technician",),
        Tier.L3,
        ("EHR systems", "Windows Server"),
        ("healthcare",),
    ),
    StaffSeed(
        "ruth.acct",
        "Ruth Lindqvist",
        "Accounting desk technician",
        ("technician",),
        Tier.L2,
        ("Tax and accounting software",),
        ("accounting",),
    ),
    StaffSeed("sofia.sa", "Sofia Reyes", "Strategic Advisor", ("strategic_advisor",)),
    StaffSeed(
        "grace.sa", "Grace Kim", "Strategic Advisor, healthcare", ("strategic_advisor",), verticals=("healthcare",)
    ),
    StaffSeed(
        "elliot.sa", "Elliot Ward", "Strategic Advisor, accounting", ("strategic_advisor",), verticals=("accounting",)
    ),
    StaffSeed("tom.tae", "Tom Becker", "Technology Alignment Engineer", ("technology_alignment_engineer",)),
    StaffSeed("nia.tae", "Nia Adeyemi", "Technology Alignment Engineer", ("technology_alignment_engineer",)),
    StaffSeed("olivia.pm", "Olivia Park", "Onboarding project manager", ("onboarding_pm",)),
    StaffSeed("ben.billing", "Ben Carter", "Billing specialist", ("billing",)),
]

VERTICALS = [
    ("healthcare", "Healthcare", "Clinics, dental and medical groups: EHR, HIPAA-minded support."),
    ("legal", "Legal", "Law firms: practice management and document systems."),
    ("accounting", "Accounting", "CPA firms: tax and accounting suites, busy-season readiness."),
]
SKILLS = [
    "Microsoft 365",
    "Windows Server",
    "Networking",
    "Firewalls",
    "Backup and DR",
    "EHR systems",
    "Tax and accounting software",
    "macOS",
]


@dataclass
class ClientSeed:
    code: str
    name: str
    time_zone: str
    country: str
    subdivision: str
    plan: str
    vertical: str | None
    status: str
    advisor: str
    engineer: str
    backup: str
    backup_price: str
    sites: list[tuple[str, str, str, bool]]  # name, city, region, supported office
    pocs: list[str]
    staff_people: list[tuple[str, str]]  # name, level
    non_people: list[tuple[str, str]] = field(default_factory=list)  # name, kind
    applications: list[tuple[str, str]] = field(default_factory=list)
    coverages: list[tuple[str, str, str, int | None, bool]] = field(default_factory=list)
    # end-user, VIP, partial, email-only, extra POC (monthly)
    fees: tuple[str, str, str, str, str] = ("95.00", "135.00", "55.00", "18.00", "125.00")
    poc_absent_now: bool = False


CLIENTS = [
    ClientSeed(
        "acme",
        "Acme Precision Manufacturing",
        "America/Chicago",
        "US",
        "IL",
        Plan.CO_MANAGED,
        None,
        AgreementStatus.ACTIVE,
        "sofia.sa",
        "tom.tae",
        BackupService.SERVER_BACKUP,
        "650.00",
        [
            ("Rockford plant", "Rockford", "IL", True),
            ("Chicago sales office", "Chicago", "IL", True),
            ("Warehouse annex", "Belvidere", "IL", False),
        ],
        ["Pat Kowalski", "Jordan Ellis"],
        [
            ("Maria Gonzalez", UserLevel.VIP),
            ("Kevin Brandt", UserLevel.END_USER),
            ("Sarah Lindgren", UserLevel.END_USER),
            ("Tomás Rivera", UserLevel.PARTIAL),
            ("Floor Kiosk Crew", UserLevel.EMAIL_ONLY),
            ("Dwayne Foster", UserLevel.END_USER),
        ],
        [("svc-backup", PersonKind.SERVICE_ACCOUNT), ("orders@", PersonKind.SHARED_MAILBOX)],
        [("Epicor Kinetic", "Epicor"), ("SolidWorks PDM", "Dassault Systèmes")],
        [
            ("Dell", "PowerEdge R750 servers (ProSupport)", CoverageKind.HARDWARE, 400, True),
            ("Epicor", "Epicor Kinetic maintenance", CoverageKind.SOFTWARE, 200, True),
            ("Cisco", "Meraki MX licences", CoverageKind.HARDWARE_SOFTWARE, -30, True),
        ],
    ),
    ClientSeed(
        "brightside",
        "Brightside Dental Group",
        "America/New_York",
        "US",
        "NY",
        Plan.CO_MANAGED_PLUS,
        "healthcare",
        AgreementStatus.ACTIVE,
        "grace.sa",
        "nia.tae",
        BackupService.SERVER_BACKUP_DR,
        "890.00",
        [("Albany clinic", "Albany", "NY", True), ("Saratoga clinic", "Saratoga Springs", "NY", True)],
        ["Chris Alvarez"],
        [
            ("Dr. Helen Park", UserLevel.VIP),
            ("Dr. Samuel Okafor", UserLevel.VIP),
            ("Jenna Moore", UserLevel.END_USER),
            ("Luis Ortega", UserLevel.END_USER),
            ("Front Desk Tablet", UserLevel.PARTIAL),
            ("Billing Team", UserLevel.EMAIL_ONLY),
        ],
        [("scanner-svc", PersonKind.SERVICE_ACCOUNT)],
        [("Dentrix Ascend", "Henry Schein One"), ("Microsoft 365", "Microsoft")],
        [
            ("Henry Schein One", "Dentrix Ascend support plan", CoverageKind.SOFTWARE, 300, True),
            ("HP", "Workstation Care Pack", CoverageKind.HARDWARE, 120, False),
        ],
        fees=("119.00", "159.00", "65.00", "20.00", "125.00"),
    ),
    ClientSeed(
        "cedarpine",
        "Cedar & Pine Law LLP",
        "America/Los_Angeles",
        "US",
        "CA",
        Plan.CO_MANAGED_PLUS,
        None,
        AgreementStatus.ACTIVE,
        "sofia.sa",
        "tom.tae",
        BackupService.SERVER_BACKUP,
        "540.00",
        [("San Francisco office", "San Francisco", "CA", True)],
        ["Robin Hale"],
        [
            ("Eleanor Voss", UserLevel.VIP),
            ("James Whitaker", UserLevel.END_USER),
            ("Mei Tanaka", UserLevel.END_USER),
            ("Records Clerk", UserLevel.PARTIAL),
        ],
        [("conference-room", PersonKind.SHARED_MAILBOX)],
        [("Clio Manage", "Clio"), ("NetDocuments", "NetDocuments")],
        [("Clio", "Clio Manage subscription", CoverageKind.SOFTWARE, 250, True)],
        poc_absent_now=True,
    ),
    ClientSeed(
        "delta",
        "Delta Freight Logistics",
        "America/Denver",
        "US",
        "CO",
        Plan.CO_MANAGED,
        None,
        AgreementStatus.DRAFT,
        "sofia.sa",
        "tom.tae",
        "",
        "",
        [("Denver terminal", "Denver", "CO", True)],
        ["Casey Nguyen", "Morgan Reed", "Alex Petrov"],
        [("Brooke Daniels", UserLevel.END_USER), ("Drivers mailbox group", UserLevel.EMAIL_ONLY)],
        applications=[("McLeod LoadMaster", "McLeod Software")],
    ),
    ClientSeed(
        "evergreen",
        "Evergreen Accounting Partners",
        "Europe/London",
        "GB",
        "ENG",
        Plan.CO_MANAGED_PLUS,
        "accounting",
        AgreementStatus.ACTIVE,
        "elliot.sa",
        "nia.tae",
        BackupService.SERVER_BACKUP_DR,
        "720.00",
        [("London office", "London", "", True), ("Reading office", "Reading", "", True)],
        ["Imogen Clarke", "Daniel Hughes"],
        [
            ("Victoria Ashby", UserLevel.VIP),
            ("Oliver Grant", UserLevel.END_USER),
            ("Amelia Shah", UserLevel.END_USER),
            ("Seasonal Staff", UserLevel.PARTIAL),
            ("Partners Inbox", UserLevel.EMAIL_ONLY),
        ],
        applications=[("CCH iFirm", "Wolters Kluwer"), ("Xero", "Xero")],
        coverages=[("Wolters Kluwer", "CCH iFirm support", CoverageKind.SOFTWARE, 180, True)],
        fees=("110.00", "150.00", "60.00", "19.00", "125.00"),
    ),
    ClientSeed(
        "fjord",
        "Fjord Analytics AS",
        "Europe/Oslo",
        "NO",
        "",
        Plan.CO_MANAGED,
        None,
        AgreementStatus.TERMINATED,
        "sofia.sa",
        "tom.tae",
        BackupService.SERVER_BACKUP,
        "480.00",
        [("Oslo office", "Oslo", "", True)],
        ["Ingrid Solberg"],
        [("Henrik Berg", UserLevel.END_USER)],
    ),
]


def contract_number(vendor: str, client_code: str, covers: str) -> str:
    """A stable, made-up support contract number."""
    return f"{vendor[:3].upper()}-{client_code.upper()}-{zlib.crc32(covers.encode()) % 100000:05d}"


def staff_email(handle: str) -> str:
    return f"{handle}@{DOMAIN}"


def person_email(name: str, client_code: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = re.sub(r"[^a-z0-9]+", ".", ascii_name.lower()).strip(".")
    return f"{local}@{client_code}.example.com"


class Seeder:
    """Creates what is missing, one step at a time, reporting each step."""

    def __init__(self, on_step: Callable[[str], None] = lambda _: None) -> None:
        self.on_step = on_step
        self.created = 0
        self.now = timezone.now()

    @staticmethod
    def steps() -> int:
        return 5 + len(CLIENTS)

    def run(self) -> int:
        with transaction.atomic():
            self.on_step("provider")
            self.provider()
            self.on_step("verticals and skills")
            self.catalogue()
            self.on_step("staff")
            self.staff()
            for seed in CLIENTS:
                self.on_step(seed.name)
                self.client(seed)
            self.on_step("tickets")
            self.created += ensure_default_categories()
            self.created += seed_tickets(self.now)
            self.on_step("documentation")
            self.created += seed_knowledge()
        return self.created

    def provider(self) -> None:
        row = ProviderSettings.load()
        if row.name == "Your MSP":
            provider_settings_update(
                actor=None,
                name="Summit Ridge IT Solutions",
                legal_name="Summit Ridge IT Solutions, LLC",
                currency="USD",
                time_zone="America/Chicago",
                support_email=f"desk@{DOMAIN}",
                support_phone="+1 312 555 0100",
            )
            self.created += 1

    def catalogue(self) -> None:
        for slug, name, description in VERTICALS:
            _, made = Vertical.objects.get_or_create(slug=slug, defaults={"name": name, "description": description})
            self.created += made
        for name in SKILLS:
            _, made = Skill.objects.get_or_create(name=name)
            self.created += made

    def user(self, email: str, name: str) -> User:
        user = User.objects.filter(email=email).first()
        if user is None:
            user = user_create(email=email, full_name=name, password=DEMO_PASSWORD, actor=None)
            self.created += 1
        return user

    def staff(self) -> None:
        for seed in STAFF:
            user = self.user(staff_email(seed.email), seed.name)
            if StaffProfile.objects.filter(user=user).exists():
                continue
            if "admin" in seed.roles:
                user.is_superuser = True
                user.save(update_fields=["is_superuser"])
            TOTP.activate(user, DEMO_TOTP_SECRET)
            staff_profile_save(
                profile=StaffProfile(user=user, tier=seed.tier, job_title=seed.title),
                actor=None,
                roles=seed.roles,
                skills=Skill.objects.filter(name__in=seed.skills),
                verticals=Vertical.objects.filter(slug__in=seed.verticals),
            )
            self.created += 1

    def client(self, seed: ClientSeed) -> None:
        client = Client.objects.filter(code=seed.code).first()
        if client is None:
            client = client_save(
                client=Client(
                    name=seed.name,
                    code=seed.code,
                    time_zone=seed.time_zone,
                    holiday_country=seed.country,
                    holiday_subdivision=seed.subdivision,
                ),
                actor=None,
            )
            closure_save(
                closure=Closure(client=client, date=dt.date(self.now.year, 12, 24), name="Holiday closure"), actor=None
            )
            self.created += 1
        sites = [self.site(client, *site) for site in seed.sites]
        agreement = self.agreement(client, seed, [s for s, supported in sites if supported])
        for index, name in enumerate(seed.pocs):
            poc = self.person(client, name, UserLevel.POC, PersonKind.EMPLOYEE, sites[0][0], sign_in=index == 0)
            if index == 0 and seed.poc_absent_now:
                self.absence(poc, self.now - dt.timedelta(days=1), self.now + dt.timedelta(days=4), AbsenceKind.PTO)
            elif index == 0:
                start = self.now + dt.timedelta(days=10)
                self.absence(poc, start, start + dt.timedelta(days=5), AbsenceKind.PTO)
        for name, level in seed.staff_people:
            self.person(client, name, level, PersonKind.EMPLOYEE, sites[-1][0])
        for name, kind in seed.non_people:
            self.person(client, name, "", kind, None)
        coverages = [self.coverage(client, *coverage) for coverage in seed.coverages]
        for index, (name, vendor) in enumerate(seed.applications):
            self.application(agreement, name, vendor, coverages[index] if index < len(coverages) else None)
        self.advance(agreement, seed)

    def site(self, client: Client, name: str, city: str, region: str, supported: bool) -> tuple[Site, bool]:
        site = Site.objects.filter(client=client, name=name).first()
        if site is None:
            site = site_save(
                site=Site(
                    client=client,
                    name=name,
                    city=city,
                    region=region,
                    country=client.holiday_country[:2],
                    is_office=True,
                ),
                actor=None,
            )
            self.created += 1
        return site, supported

    def agreement(self, client: Client, seed: ClientSeed, supported: list[Site]) -> Agreement:
        agreement = Agreement.objects.filter(client=client).first()
        if agreement is not None:
            return agreement
        end_user, vip, partial, email_only, extra_poc = (Decimal(f) for f in seed.fees)
        agreement = agreement_save(
            agreement=Agreement(
                client=client,
                plan=seed.plan,
                vertical=Vertical.objects.get(slug=seed.vertical) if seed.vertical else None,
                starts_on=(self.now - dt.timedelta(days=200)).date(),
                end_user_monthly_fee=end_user,
                vip_monthly_fee=vip,
                partial_monthly_fee=partial,
                email_only_monthly_fee=email_only,
                extra_poc_monthly_fee=extra_poc,
                backup_service=seed.backup,
                backup_monthly_price=Decimal(seed.backup_price) if seed.backup_price else None,
                strategic_advisor=StaffProfile.objects.get(user__email=staff_email(seed.advisor)),
                technology_alignment_engineer=StaffProfile.objects.get(user__email=staff_email(seed.engineer)),
            ),
            actor=None,
            supported_offices=supported,
        )
        self.created += 1
        return agreement

    def advance(self, agreement: Agreement, seed: ClientSeed) -> None:
        """Bring the agreement to the seed's status (activation validates the contract)."""
        if seed.status == AgreementStatus.DRAFT or agreement.status == seed.status:
            return
        if agreement.status == AgreementStatus.DRAFT:
            agreement_activate(agreement=agreement, actor=None)
        if seed.status == AgreementStatus.TERMINATED and agreement.status == AgreementStatus.ACTIVE:
            agreement_terminate(agreement=agreement, actor=None, reason="Client acquired; IT moved in-house.")

    def person(
        self, client: Client, name: str, level: str, kind: str, site: Site | None, *, sign_in: bool = False
    ) -> Person:
        person = Person.objects.filter(client=client, full_name=name).first()
        if person is None:
            email = person_email(name, client.code)
            user = self.user(email, name) if sign_in else None
            person = person_save(
                person=Person(
                    client=client,
                    full_name=name,
                    email=email,
                    level=level,
                    kind=kind,
                    site=site,
                    user=user,
                    job_title="IT manager" if level == UserLevel.POC else "",
                    phone="+1 555 0100" if level == UserLevel.POC else "",
                ),
                actor=None,
            )
            self.created += 1
        return person

    def absence(self, person: Person, starts: dt.datetime, ends: dt.datetime, kind: str) -> None:
        if not Absence.objects.filter(person=person).exists():
            absence_save(
                absence=Absence(person=person, kind=kind, starts_at=starts, ends_at=ends, note="Family vacation"),
                actor=None,
            )
            self.created += 1

    def coverage(
        self, client: Client, vendor: str, covers: str, kind: str, days_left: int | None, authorized: bool
    ) -> VendorCoverage:
        coverage = VendorCoverage.objects.filter(client=client, vendor=vendor, covers=covers).first()
        if coverage is None:
            today = self.now.date()
            coverage = vendor_coverage_save(
                coverage=VendorCoverage(
                    client=client,
                    vendor=vendor,
                    covers=covers,
                    kind=kind,
                    contract_number=contract_number(vendor, client.code, covers),
                    starts_on=today - dt.timedelta(days=365),
                    expires_on=today + dt.timedelta(days=days_left) if days_left is not None else None,
                    provider_is_authorized_user=authorized,
                    authorized_contact="Summit Ridge service desk" if authorized else "",
                    support_pin=f"{zlib.crc32((vendor + client.code).encode()) % 1000000:06d}",
                ),
                actor=None,
            )
            self.created += 1
        return coverage

    def application(self, agreement: Agreement, name: str, vendor: str, coverage: VendorCoverage | None) -> None:
        if not ListedApplication.objects.filter(agreement=agreement, name=name).exists():
            listed_application_save(
                application=ListedApplication(
                    agreement=agreement,
                    name=name,
                    vendor=vendor,
                    vendor_coverage=coverage if coverage and coverage.vendor == vendor else None,
                ),
                actor=None,
            )
            self.created += 1


def demo_logins() -> list[tuple[str, str, str]]:
    """(role, e-mail, password) of the log-ins the demo prints."""
    poc = Person.objects.filter(user__isnull=False, client__code="brightside").select_related("user").first()
    rows = [
        ("Administrator", staff_email("admin")),
        ("Dispatcher", staff_email("dispatch")),
        ("Technician L2", staff_email("priya.l2")),
        ("Healthcare desk technician", staff_email("hannah.hc")),
        ("Billing", staff_email("ben.billing")),
    ]
    if poc is not None and poc.user is not None:
        rows.append(("Client POC (Brightside Dental)", poc.user.email))
    return [(role, email, DEMO_PASSWORD) for role, email in rows]


def seed_summary() -> dict[str, Any]:
    return {
        "clients": Client.objects.count(),
        "people": Person.objects.count(),
        "agreements": Agreement.objects.count(),
        "staff": StaffProfile.objects.count(),
        "tickets": Ticket.objects.count(),
        "articles": Article.objects.count(),
        "documents": Document.objects.count(),
    }
