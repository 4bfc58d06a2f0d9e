"""Tickets: what the POC logs, resolves internally or escalates, and what the desk works on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from comanaged.agreements.choices import DeviceClass, Ownership, Priority
from comanaged.agreements.models import ListedApplication, VendorCoverage
from comanaged.tenancy.models import Client, ClientOwnedModel, Person, Site, StaffProfile, Vertical
from comanaged.tickets.choices import Impact, Source, Status, TicketType, Tier, Urgency, Verdict

# Escalated and not yet resolved: what the provider's desk works on.
DESK_OPEN = (
    Status.ESCALATED,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.WAITING_ON_CLIENT,
    Status.WAITING_ON_VENDOR,
)


class BillableKind(models.TextChoices):
    """Work the contract does not include (R4, R22, R23): a category may be billable by nature."""

    NONE = "", "Included"
    PROVISIONING = "provisioning", "Workstation provisioning (R23)"
    MFA_DEPLOYMENT = "mfa_deployment", "MFA deployment (R4)"
    PROJECT = "project", "Project (R22)"
    REMEDIATION = "remediation", "Remediation work (R22, R38)"
    ADMINISTRATIVE = "administrative", "Administrative work (R22)"


class TicketCategory(models.Model):
    """A provider-editable category tree (defaults created by migration 0002)."""

    name = models.CharField(max_length=80)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    billable_kind = models.CharField(max_length=20, choices=BillableKind.choices, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name_plural = "ticket categories"
        constraints = [models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name")]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name  # type: ignore[union-attr]


class TicketSequence(models.Model):
    """The last ticket number handed out; its row lock makes numbers unique and gap-free."""

    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"#{self.last}"


class Ticket(ClientOwnedModel):
    """One incident or service request of a client: who asked, who is affected, what the POC
    gave when escalating (R14), where it stands, and the contract's verdict on it."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="tickets")
    number = models.PositiveIntegerField(unique=True, editable=False)
    title = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=TicketType.choices, default=TicketType.INCIDENT)
    category = models.ForeignKey(TicketCategory, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    priority = models.CharField(max_length=2, choices=Priority.choices, blank=True)
    impact = models.CharField(max_length=12, choices=Impact.choices, blank=True)
    urgency = models.CharField(max_length=12, choices=Urgency.choices, blank=True)
    # R14: what the POC must give when escalating.
    description = models.TextField("nature of the problem", blank=True)
    tried = models.TextField("what has been tried", blank=True)
    error_messages = models.TextField("error messages", blank=True)
    conditions = models.TextField("conditions under which it occurs", blank=True)

    requester = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="requested_tickets")
    affected_person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="affecting_tickets"
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.PORTAL)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets")
    application = models.ForeignKey(
        ListedApplication, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    application_name = models.CharField(
        max_length=200, blank=True, help_text="An application that is not in the agreement's list (R19)."
    )
    on_site_requested = models.BooleanField(default=False)
    # R22 device facts, as the POC knows them (the devices issue links its inventory here later).
    device_name = models.CharField(max_length=120, blank=True)
    device_class = models.CharField(max_length=20, choices=DeviceClass.choices, blank=True)
    device_ownership = models.CharField(max_length=20, choices=Ownership.choices, blank=True)
    device_beyond_vendor_support = models.BooleanField(default=False)

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW, editable=False)
    tier = models.CharField(max_length=8, choices=Tier.choices, default=Tier.POC, editable=False)
    # R17: the least tier whose start of work is the response, set at triage (L1 by default).
    required_tier = models.CharField(
        max_length=8,
        choices=[(t.value, t.label) for t in (Tier.L1, Tier.L2, Tier.L3)],
        default=Tier.L1,
        editable=False,
    )
    assignee = models.ForeignKey(
        StaffProfile, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_tickets"
    )
    escalated_at = models.DateTimeField(null=True, blank=True, editable=False)
    work_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The current response clock's deadline (R16), kept by ``tickets.clock.service``: the desk sorts on it.
    respond_due_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    resolution = models.TextField(blank=True, editable=False)
    # R12: set when escalated on a vertical agreement — the vertical-experienced desk's queue.
    desk_vertical = models.ForeignKey(
        Vertical, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )

    verdict = models.CharField(max_length=20, choices=Verdict.choices, blank=True, editable=False)
    verdict_reasons = models.JSONField(default=list, blank=True, editable=False)
    verdict_override_reason = models.TextField(blank=True, editable=False)

    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged", editable=False
    )
    # A client-chosen key: the same submit sent twice creates one ticket.
    idempotency_key = models.CharField(max_length=80, blank=True, editable=False)
    # Escalated and unresolved, kept by the database itself: the desk's partial indexes test this
    # one column (SQLite uses a partial index only when the query repeats its condition literally,
    # which a bound ``status IN (?, …)`` never does).
    on_desk = models.GeneratedField(
        expression=models.Q(status__in=DESK_OPEN),  # type: ignore[arg-type]  # Django resolves a Q
        output_field=models.BooleanField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["client", "status"]),
            models.Index(fields=["client", "created_at"]),
            # The desk queue, due first: overall and per filter, over desk tickets only (a few % of rows).
            models.Index(
                fields=["respond_due_at", "number", "assignee", "work_started_at"],
                name="ticket_desk_due",
                condition=models.Q(on_desk=True),
            ),
            *(
                models.Index(
                    fields=[column, "respond_due_at", "number"],
                    name=f"ticket_desk_{column.removeprefix('desk_')}",
                    condition=models.Q(on_desk=True),
                )
                for column in ("assignee", "client", "priority", "desk_vertical")
            ),
            models.Index(fields=["assignee", "status"], name="ticket_assignee_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["logged_by", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="ticket_unique_idempotency_key",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.title}"

    @property
    def handled_internally(self) -> bool:
        """Resolved by the POC without the provider's desk (R15)."""
        return self.escalated_at is None and self.status in {Status.RESOLVED, Status.CLOSED}


class TicketAttachment(models.Model):
    """A file on a ticket, stored outside the web root (comanaged.core.files) under its digest."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=64, editable=False)
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    public = models.BooleanField(default=True, help_text="Seen by the client; internal files are staff-only.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class VendorEscalation(models.Model):
    """R20: the provider took the ticket to the vendor under the client's support (R28)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="vendor_escalations")
    coverage = models.ForeignKey(VendorCoverage, on_delete=models.PROTECT, related_name="escalations")
    vendor = models.CharField(max_length=120)
    case_number = models.CharField(max_length=80)
    contract = models.CharField(max_length=120, blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["opened_at", "id"]

    def __str__(self) -> str:
        return f"{self.vendor} case {self.case_number}"


class SavedView(models.Model):
    """A named set of list filters a person keeps (portal ticket list, desk queue)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views")
    page = models.CharField(max_length=20)
    name = models.CharField(max_length=60)
    query = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["user", "page", "name"], name="saved_view_unique_name")]

    def __str__(self) -> str:
        return self.name


class TicketEvent(models.Model):
    """The ticket's history: every change, note and decision, in order (public or internal)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=32)
    public = models.BooleanField(default=True)
    text = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    @property
    def label(self) -> str:
        return EVENT_LABELS.get(self.kind, self.kind.replace("_", " "))


EVENT_LABELS = {
    "created": "logged the ticket",
    "updated": "changed the details",
    "escalated": "escalated to the service desk",
    "routed_to_poc": "routed to the POC",
    "assigned": "assigned",
    "work_started": "started work",
    "status": "changed the status",
    "tier_raised": "escalated to a higher tier",
    "vendor_escalated": "escalated to the vendor",
    "verdict_changed": "changed the assessment",
    "note": "wrote",
    "resolved": "resolved",
    "closed": "closed",
    "reopened": "reopened",
    "merged": "merged a duplicate",
    "merged_into": "merged",
    "linked": "linked to an incident",
    "unlinked": "unlinked",
    "required_tier": "set the required tier",
    "sla_warning": "response target at risk",
    "sla_breached": "response target missed",
}

# The clock's rows live in their own module; importing them here registers them with the app.
from comanaged.tickets.clock.models import ClockEvent, ClockTimer, ResponseClock  # noqa: E402, F401
