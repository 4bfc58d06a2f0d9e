"""Demo tickets: for every active client a realistic queue — tickets the POC handled internally
(R15), escalations at each stage of the desk, an out-of-scope application (R19), billable
provisioning (R23), and a vendor case (R20). All through the ticket services, so every history,
verdict and audit entry is real. Idempotent: a client that has tickets is left alone."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from comanaged.agreements.choices import AgreementStatus
from comanaged.agreements.models import Agreement, VendorCoverage
from comanaged.agreements.policy import RESPOND_TARGETS
from comanaged.core.errors import ApplicationError
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import Person, StaffProfile
from comanaged.tickets import conversation, desk, notifications, services
from comanaged.tickets.models import Ticket, TicketCategory


@dataclass(frozen=True)
class TicketSeed:
    title: str
    category: str
    priority: str
    stage: str  # internal | new | escalated | assigned | in_progress | waiting_on_vendor | resolved
    type: str = "incident"
    affects_end_user: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""


TICKETS = [
    TicketSeed("Password expired for a front-desk user", "Password reset", "P4", "internal"),
    TicketSeed("Outlook keeps asking for credentials", "Mailbox", "P3", "internal"),
    TicketSeed("Teams camera not detected", "Operating system", "P4", "internal"),
    TicketSeed("New hire needs a laptop and accounts", "New user / leaver", "P3", "new", "service_request"),
    TicketSeed(
        "Shared drive unreachable for the whole office",
        "Server",
        "P1",
        "in_progress",
        affects_end_user=False,
        note="Checking the file server's SMB service and the switch uplink.",
    ),
    TicketSeed("VPN disconnects every 10 minutes", "VPN / remote access", "P2", "assigned"),
    TicketSeed("Wi-Fi slow in the conference room", "Wi-Fi", "P3", "escalated"),
    TicketSeed("Backup job failed on the file server", "Backup and restore", "P2", "waiting_on_vendor"),
    TicketSeed(
        "Install a personal game on a workstation",
        "Access / availability",
        "P4",
        "escalated",
        extra={"application_name": "Steam"},
    ),
    TicketSeed("Provision two new workstations", "Workstation provisioning", "P3", "escalated", "service_request"),
    TicketSeed("Phishing e-mail reported by accounting", "Phishing / suspicious e-mail", "P2", "resolved"),
]
R14 = {
    "description": "Reported by several users this morning; details in the notes.",
    "tried": "Restarted the device and checked the cables and the account.",
    "error_messages": "none shown",
    "conditions": "Every time, since this morning",
}


def seed_tickets(now: dt.datetime | None = None) -> int:
    """Create the demo tickets of every active client that has none; returns tickets created."""
    now = now or timezone.now()
    created = 0
    technicians = list(StaffProfile.objects.filter(roles__code="technician").select_related("user").order_by("tier"))
    if not technicians:
        return 0
    for agreement in Agreement.objects.filter(status=AgreementStatus.ACTIVE).select_related("client", "vertical"):
        client = agreement.client
        if Ticket.objects.filter(client=client).exists():
            continue
        poc = Person.objects.filter(client=client, level=UserLevel.POC, is_active=True).order_by("pk").first()
        end_users = list(Person.objects.filter(client=client, level__in=["end_user", "vip"]).order_by("pk"))
        if poc is None:
            continue
        fit = [t for t in technicians if agreement.vertical_id is None or agreement.vertical in t.verticals.all()]
        with notifications.quiet():
            created += seed_history(client, poc, end_users or [poc], fit or technicians, now)
        for index, seed in enumerate(TICKETS):
            affected = end_users[index % len(end_users)] if seed.affects_end_user and end_users else poc
            with notifications.quiet():  # the demo's clients did not really write in
                created += _one(seed, client, poc, affected, fit or technicians, index, now)
    return created


# Four weeks of answered escalations, so attainment has something to show: most answered well
# within the target, some late, and service requests at P1/P2 that no target applies to (R18).
HISTORY = [
    ("Printer queue stuck on the second floor", "Printer connectivity", "P4", "incident"),
    ("User locked out after password change", "Password reset", "P3", "incident"),
    ("Shared mailbox missing in Outlook", "Mailbox", "P3", "incident"),
    ("Laptop will not join the Wi-Fi", "Wi-Fi", "P2", "incident"),
    ("Line-of-business app crashes on save", "Access / availability", "P2", "incident"),
    ("Internet down at the main office", "Internet / ISP", "P1", "incident"),
    ("Grant access to the finance share", "Permissions", "P2", "service_request"),
    ("VPN slow for remote staff", "VPN / remote access", "P3", "incident"),
]


def seed_history(client: Any, poc: Person, people: list[Person], technicians: list[StaffProfile], now: Any) -> int:
    """12 escalations over the past 28 days, answered and resolved, with their clocks."""
    rng = random.Random(client.pk)
    created = 0
    for i in range(12):
        title, category, priority, kind = HISTORY[i % len(HISTORY)]
        escalated = now - dt.timedelta(days=28) + dt.timedelta(hours=rng.uniform(0, 27 * 24))
        target = RESPOND_TARGETS[priority]
        late = rng.random() < 0.12
        delay = target * (rng.uniform(1.05, 1.6) if late else rng.uniform(0.1, 0.85))
        escalated = min(escalated, now - delay - dt.timedelta(minutes=30))  # answered in the past
        ticket = Ticket(
            client=client,
            title=title,
            type=kind,
            category=TicketCategory.objects.filter(name=category).first(),
            priority=priority,
            requester=poc,
            affected_person=people[i % len(people)],
            created_at=escalated - dt.timedelta(minutes=rng.randint(2, 40)),
            **R14,
        )
        services.ticket_log(ticket=ticket, actor=poc.user)
        services.ticket_escalate(ticket=ticket, actor=poc.user, escalating_person=poc, at=escalated)
        technician = technicians[rng.randrange(len(technicians))]
        desk.ticket_start_work(ticket=ticket, actor=technician.user, at=escalated + delay)
        resolved = min(escalated + delay + dt.timedelta(minutes=rng.randint(10, 240)), now)
        services.ticket_resolve(ticket=ticket, actor=technician.user, resolution="Fixed and confirmed.", at=resolved)
        created += 1
    return created


def _one(
    seed: TicketSeed, client: Any, poc: Person, affected: Person, technicians: list[StaffProfile], i: int, now: Any
) -> int:
    # Logged and escalated a little while ago (minutes apart), so the desk's clocks have run.
    escalated = now - dt.timedelta(minutes=8 + 7 * i)
    category = TicketCategory.objects.filter(name=seed.category).first()
    ticket = Ticket(
        client=client,
        title=seed.title,
        type=seed.type,
        category=category,
        priority=seed.priority,
        requester=poc,
        affected_person=affected,
        created_at=escalated - dt.timedelta(minutes=3),
        **R14,
        **seed.extra,
    )
    actor = poc.user
    services.ticket_log(ticket=ticket, actor=actor)
    if seed.stage == "internal":
        services.ticket_resolve(ticket=ticket, actor=actor, resolution="Handled by the POC.")
        return 1
    if seed.stage == "new":
        return 1
    services.ticket_escalate(ticket=ticket, actor=actor, escalating_person=poc, at=escalated)
    technician = technicians[i % len(technicians)]
    if seed.stage in {"assigned", "in_progress", "waiting_on_vendor", "resolved"}:
        desk.ticket_assign(ticket=ticket, actor=technician.user, assignee=technician)
    if seed.stage in {"in_progress", "waiting_on_vendor", "resolved"}:
        desk.ticket_start_work(ticket=ticket, actor=technician.user)
    if seed.note:
        conversation.ticket_add_note(ticket=ticket, actor=technician.user, text=seed.note)
    if seed.stage == "waiting_on_vendor":
        coverage = VendorCoverage.objects.filter(client=client, provider_is_authorized_user=True).first()
        if coverage is not None:
            # Lapsed coverage keeps the ticket on the desk: that refusal is R28's point.
            with contextlib.suppress(ApplicationError):
                desk.ticket_vendor_escalate(
                    ticket=ticket, actor=technician.user, case_number=f"SR-{4410 + i}", coverage=coverage
                )
    if seed.stage == "resolved":
        services.ticket_resolve(
            ticket=ticket, actor=technician.user, resolution="Blocked the sender and purged the message."
        )
    return 1
