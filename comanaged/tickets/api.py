"""REST endpoints of tickets: the client's intake (create, assess, escalate, notes, files,
confirm, reopen) and the desk's actions (assign, claim, start work, tiers, vendor, verdict)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from comanaged.agreements.models import ListedApplication, VendorCoverage
from comanaged.core import files
from comanaged.core.errors import ApplicationError, CoreErrorCode
from comanaged.core.pagination import page_of, require_write
from comanaged.tenancy.access import MAX_ID, client_person_of, is_staff_caller, parse_id, referenced
from comanaged.tenancy.api import Page, PageQuery
from comanaged.tenancy.models import Client, Person, Site, StaffProfile
from comanaged.tenancy.schemas import Id
from comanaged.tenancy.scoping import is_provider_staff
from comanaged.tickets import conversation, desk, relations, services
from comanaged.tickets.access import require_poc_or_desk, visible_events, visible_tickets
from comanaged.tickets.choices import Source
from comanaged.tickets.clock.models import ClockTimer, ResponseClock, TimerKind
from comanaged.tickets.models import Ticket, TicketAttachment, TicketCategory
from comanaged.tickets.priority import suggest_priority
from comanaged.tickets.schemas import (
    AssessmentOut,
    AssignIn,
    AttachmentOut,
    CategoryOut,
    EventOut,
    MergeIn,
    NoteIn,
    OptionalReasonIn,
    ParentIn,
    PriorityCode,
    RaiseTierIn,
    ReasonIn,
    RequiredTierIn,
    ResolveIn,
    SourceCode,
    StatusCode,
    StatusIn,
    TicketClockOut,
    TicketFields,
    TicketIn,
    TicketOut,
    TicketTriageOut,
    TierCode,
    VendorEscalationIn,
    VendorEscalationOut,
    VerdictCode,
    VerdictIn,
)

router = Router(tags=["Tickets"])
LIST_RELATED = ("category__parent",)


class TicketPage(Page):
    items: list[TicketOut]


class EventPage(Page):
    items: list[EventOut]


class TicketFilters(PageQuery):
    client_id: Id | None = None
    status: StatusCode | None = None
    priority: PriorityCode | None = None
    tier: TierCode | None = None
    verdict: VerdictCode | None = None
    source: SourceCode | None = None
    assignee_id: Id | None = None
    unassigned: bool | None = None
    requester_id: Id | None = None
    parent_id: Id | None = None
    q: str | None = None


def _ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    if not 1 <= ticket_id <= MAX_ID:
        raise Http404
    ticket = visible_tickets(request.user).select_related(*LIST_RELATED).filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404
    return ticket


def _resolve(request: HttpRequest, data: dict[str, Any]) -> dict[str, Any]:
    """Ids in a request body → rows the caller may see (another client's row is not found)."""
    user = request.user
    changes: dict[str, Any] = {}
    lookups = {
        "affected_person_id": Person.objects,
        "site_id": Site.objects,
        "application_id": ListedApplication.objects,
    }
    for name, value in data.items():
        if name == "category_id":
            category = TicketCategory.objects.filter(pk=value, is_active=True).first() if value else None
            if value and category is None:
                raise ApplicationError(CoreErrorCode.NOT_FOUND, "No such category.", field="category_id")
            changes["category"] = category
        elif name in lookups:
            changes[name.removesuffix("_id")] = referenced(lookups[name], user, value, name)
        elif value is None and name in {"type", "on_site_requested", "device_beyond_vendor_support"}:
            continue  # no "unset" for these
        else:
            changes[name] = "" if value is None else value
    return changes


def _draft(request: HttpRequest, payload: TicketIn) -> tuple[Ticket, Person]:
    """An unsaved ticket from the request and the person on whose behalf it is escalated."""
    user = request.user
    data = payload.dict(exclude_unset=True)
    data.pop("escalate", None)
    client_id, requester_id, source = (
        data.pop("client_id", None),
        data.pop("requester_id", None),
        data.pop("source", None),
    )
    person = client_person_of(user)
    if is_provider_staff(user):
        desk.require_desk(user)  # billing, advisors and PMs read tickets; the desk logs them
        if client_id is None or requester_id is None:
            field = "client_id" if client_id is None else "requester_id"
            raise ApplicationError(CoreErrorCode.INVALID, "Staff name the client and the requester.", field=field)
        client = referenced(Client.objects, user, client_id, "client_id")
        requester = referenced(Person.objects, user, requester_id, "requester_id")
        ticket = Ticket(client=client, requester=requester, source=source or Source.API)
    elif person is not None:
        if client_id not in (None, person.client_id):
            raise ApplicationError(CoreErrorCode.NOT_FOUND, "No such client.", field="client_id")
        if source not in (None, Source.API, Source.PORTAL):
            raise PermissionDenied("Only the provider's staff record phone, e-mail or monitoring tickets.")
        requester = person
        if requester_id not in (None, person.pk):
            if not person.is_poc:
                raise PermissionDenied("An end-user asks for themselves.")
            requester = referenced(Person.objects, user, requester_id, "requester_id")
        ticket = Ticket(client=person.client, requester=requester, source=source or Source.API)
    else:
        raise PermissionDenied
    for name, value in _resolve(request, data).items():
        setattr(ticket, name, value)
    if ticket.affected_person_id is None:
        ticket.affected_person = ticket.requester
    escalating = person if person is not None else ticket.requester
    return ticket, escalating


def _idempotency_key(request: HttpRequest) -> str:
    key = request.headers.get("Idempotency-Key", "")
    if len(key) > 80 or not key.isprintable():
        raise ApplicationError(
            CoreErrorCode.INVALID, "Idempotency-Key: at most 80 printable characters.", field="Idempotency-Key"
        )
    return key


@router.get("/tickets", response=TicketPage, summary="Tickets the caller may see")
def list_tickets(request: HttpRequest, response: HttpResponse, filters: Query[TicketFilters]) -> Any:
    queryset = visible_tickets(request.user).select_related(*LIST_RELATED)
    for name in (
        "client_id",
        "status",
        "priority",
        "tier",
        "verdict",
        "source",
        "assignee_id",
        "requester_id",
        "parent_id",
    ):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    if filters.unassigned is not None:
        queryset = queryset.filter(assignee__isnull=filters.unassigned)
    if filters.q:
        q = filters.q[:200]
        condition = Q(title__icontains=q)
        number = parse_id(q.lstrip("#"))
        if number is not None:
            condition |= Q(number=number)
        queryset = queryset.filter(condition)
    return page_of(
        request,
        response,
        queryset,
        filters,
        default="-number",
        allowed={"number": "number", "created_at": "created_at", "updated_at": "updated_at"},
    )


@router.post(
    "/tickets",
    response={200: TicketOut, 201: TicketOut},
    summary="Log a ticket (and escalate it)",
    description=(
        "Logs the ticket in the client's queue; with `escalate: true` it goes to the provider's desk in the "
        "same request, or nothing is saved (R14 names each missing field). An end-user's request the contract "
        "routes to the POC (R10, R11) is logged in the POC's queue with that verdict. Send an `Idempotency-Key` "
        "header to make retries safe: the same key returns the ticket already created (200)."
    ),
)
def create_ticket(request: HttpRequest, payload: TicketIn) -> Any:
    require_write(request)
    key = _idempotency_key(request)
    ticket, escalating = _draft(request, payload)
    saved = services.ticket_submit(
        ticket=ticket, actor=request.user, escalating_person=escalating, escalate=payload.escalate, idempotency_key=key
    )
    return Status(200 if getattr(saved, "_replayed", False) else 201, saved)


@router.post("/tickets/assess", response=AssessmentOut, summary="The contract's verdict on a draft, before submitting")
def assess_ticket(request: HttpRequest, payload: TicketIn) -> Any:
    ticket, escalating = _draft(request, payload)
    assessment = services.ticket_assessment(ticket=ticket, escalating_person=escalating)
    return {
        "verdict": assessment.verdict,
        "verdict_label": assessment.verdict.label,
        "may_escalate": assessment.may_escalate,
        "reasons": [r.as_dict() for r in assessment.reasons],
        "missing": [
            {"field": p.field, "code": p.code, "message": p.message} for p in services.escalation_problems(ticket)
        ],
        "suggested_priority": suggest_priority(ticket.impact, ticket.urgency)
        if ticket.impact and ticket.urgency
        else None,
    }


@router.get("/tickets/{ticket_id}", response=TicketOut)
def get_ticket(request: HttpRequest, ticket_id: int) -> Any:
    return _ticket(request, ticket_id)


@router.patch("/tickets/{ticket_id}", response=TicketOut, summary="Change what the ticket says")
def update_ticket(request: HttpRequest, ticket_id: int, payload: TicketFields) -> Any:
    require_write(request)
    ticket = _ticket(request, ticket_id)
    return services.ticket_update(
        ticket=ticket, actor=request.user, changes=_resolve(request, payload.dict(exclude_unset=True))
    )


@router.post("/tickets/{ticket_id}/escalate", response=TicketOut, summary="Escalate to the provider's desk (R14)")
def escalate_ticket(request: HttpRequest, ticket_id: int) -> Any:
    require_write(request)
    ticket = _ticket(request, ticket_id)
    # The desk escalates on behalf of the requester; a client's person as themselves. The
    # service decides who may (one rule for the API and the pages).
    person = ticket.requester if is_provider_staff(request.user) else client_person_of(request.user)
    return services.ticket_escalate(ticket=ticket, actor=request.user, escalating_person=person)


@router.post("/tickets/{ticket_id}/resolve", response=TicketOut)
def resolve_ticket(request: HttpRequest, ticket_id: int, payload: ResolveIn) -> Any:
    require_write(request)
    ticket = _ticket(request, ticket_id)
    return services.ticket_resolve(ticket=ticket, actor=request.user, resolution=payload.resolution)


@router.post("/tickets/{ticket_id}/confirm", response=TicketOut, summary="Confirm the resolution (closes it)")
def confirm_ticket(request: HttpRequest, ticket_id: int) -> Any:
    require_write(request)
    return conversation.ticket_confirm(ticket=_ticket(request, ticket_id), actor=request.user)


@router.post("/tickets/{ticket_id}/reopen", response=TicketOut)
def reopen_ticket(request: HttpRequest, ticket_id: int, payload: ReasonIn) -> Any:
    require_write(request)
    return conversation.ticket_reopen(ticket=_ticket(request, ticket_id), actor=request.user, reason=payload.reason)


@router.get("/tickets/{ticket_id}/events", response=EventPage, summary="History (the client sees its public part)")
def list_events(request: HttpRequest, response: HttpResponse, ticket_id: int, paging: Query[PageQuery]) -> Any:
    ticket = _ticket(request, ticket_id)
    return page_of(request, response, visible_events(request.user, ticket), paging, default="at", allowed={"at": "at"})


@router.post("/tickets/{ticket_id}/notes", response={201: EventOut}, summary="Add a note (internal: staff only)")
def add_note(request: HttpRequest, ticket_id: int, payload: NoteIn) -> Any:
    require_write(request)
    ticket = _ticket(request, ticket_id)
    return Status(
        201, conversation.ticket_add_note(ticket=ticket, actor=request.user, text=payload.text, public=payload.public)
    )


@router.get("/tickets/{ticket_id}/attachments", response=list[AttachmentOut])
def list_attachments(request: HttpRequest, ticket_id: int) -> Any:
    ticket = _ticket(request, ticket_id)
    attachments = ticket.attachments.all()
    return attachments if is_provider_staff(request.user) else attachments.filter(public=True)


@router.post(
    "/tickets/{ticket_id}/attachments",
    response={201: list[AttachmentOut]},
    summary="Attach files (multipart), with an optional note",
)
def add_attachments(
    request: HttpRequest,
    ticket_id: int,
    file: File[list[UploadedFile]],
    text: Form[str] = "",
    public: Form[bool] = True,
) -> Any:
    require_write(request)
    ticket = _ticket(request, ticket_id)
    if len(text) > 20_000:
        raise ApplicationError("too_long", "A note holds at most 20,000 characters.", field="text")
    event = conversation.ticket_add_note(ticket=ticket, actor=request.user, text=text, public=public, uploads=file)
    return Status(201, list(TicketAttachment.objects.filter(pk__in=event.data["attachments"])))


@router.get("/tickets/{ticket_id}/attachments/{attachment_id}", response={200: None}, summary="Download a file")
def download_attachment(request: HttpRequest, ticket_id: int, attachment_id: int) -> Any:
    ticket = _ticket(request, ticket_id)
    attachment = ticket.attachments.filter(pk=attachment_id).first() if 1 <= attachment_id <= MAX_ID else None
    if attachment is None:
        raise Http404
    try:
        conversation.ensure_may_read_attachment(request.user, attachment)
    except PermissionDenied as error:
        raise Http404 from error
    return files.file_response(attachment)


# --- the desk --------------------------------------------------------------------------------


@router.post("/tickets/{ticket_id}/claim", response=TicketOut, summary="Assign the ticket to yourself")
def claim_ticket(request: HttpRequest, ticket_id: int, payload: OptionalReasonIn) -> Any:
    require_write(request)
    return desk.ticket_claim(ticket=_ticket(request, ticket_id), actor=request.user, reason=payload.reason)


@router.post("/tickets/{ticket_id}/assign", response=TicketOut, summary="Assign to a technician (R12)")
def assign_ticket(request: HttpRequest, ticket_id: int, payload: AssignIn) -> Any:
    require_write(request)
    ticket = _ticket(request, ticket_id)
    desk.require_desk(request.user)
    assignee = None
    if payload.assignee_id is not None:
        assignee = StaffProfile.objects.filter(pk=payload.assignee_id).select_related("user").first()
        if assignee is None:
            raise ApplicationError(CoreErrorCode.NOT_FOUND, "No such staff member.", field="assignee_id")
    return desk.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee, reason=payload.reason)


@router.post("/tickets/{ticket_id}/start-work", response=TicketOut, summary="Start working (R17's respond event)")
def start_work(request: HttpRequest, ticket_id: int, payload: OptionalReasonIn) -> Any:
    require_write(request)
    return desk.ticket_start_work(ticket=_ticket(request, ticket_id), actor=request.user, reason=payload.reason)


@router.post("/tickets/{ticket_id}/status", response=TicketOut, summary="In progress / waiting on client or vendor")
def set_status(request: HttpRequest, ticket_id: int, payload: StatusIn) -> Any:
    require_write(request)
    return desk.ticket_set_status(
        ticket=_ticket(request, ticket_id), actor=request.user, status=payload.status, note=payload.note
    )


@router.post("/tickets/{ticket_id}/raise-tier", response=TicketOut, summary="Escalate to L2/L3 engineers (R20)")
def raise_tier(request: HttpRequest, ticket_id: int, payload: RaiseTierIn) -> Any:
    require_write(request)
    return desk.ticket_raise_tier(
        ticket=_ticket(request, ticket_id), actor=request.user, tier=payload.tier, reason=payload.reason
    )


@router.post(
    "/tickets/{ticket_id}/vendor-escalations",
    response={201: VendorEscalationOut},
    summary="Escalate to the vendor (R20; needs R28 coverage)",
)
def vendor_escalate(request: HttpRequest, ticket_id: int, payload: VendorEscalationIn) -> Any:
    require_write(request)
    ticket = _ticket(request, ticket_id)
    desk.require_desk(request.user)
    coverage = None
    if payload.coverage_id is not None:
        coverage = referenced(VendorCoverage.objects, request.user, payload.coverage_id, "coverage_id")
    escalation = desk.ticket_vendor_escalate(
        ticket=ticket, actor=request.user, case_number=payload.case_number, coverage=coverage, note=payload.note
    )
    return Status(201, escalation)


@router.post("/tickets/{ticket_id}/verdict", response=TicketOut, summary="Override the verdict, with a reason")
def override_verdict(request: HttpRequest, ticket_id: int, payload: VerdictIn) -> Any:
    require_write(request)
    return desk.ticket_override_verdict(
        ticket=_ticket(request, ticket_id), actor=request.user, verdict=payload.verdict, reason=payload.reason
    )


@router.post("/tickets/{ticket_id}/merge", response=TicketOut, summary="Merge this duplicate into another ticket")
def merge_ticket(request: HttpRequest, ticket_id: int, payload: MergeIn) -> Any:
    require_write(request)
    source = _ticket(request, ticket_id)
    require_poc_or_desk(request.user, source, "merge tickets")  # who may, before what with
    target = visible_tickets(request.user).filter(pk=payload.into_id).first()
    if target is None:
        raise ApplicationError(CoreErrorCode.NOT_FOUND, "No such ticket.", field="into_id")
    return relations.ticket_merge(source=source, target=target, actor=request.user)


@router.post("/tickets/{ticket_id}/parent", response=TicketOut, summary="Make it a child of an incident (or detach)")
def set_parent(request: HttpRequest, ticket_id: int, payload: ParentIn) -> Any:
    require_write(request)
    child = _ticket(request, ticket_id)
    require_poc_or_desk(request.user, child, "link tickets")
    parent = None
    if payload.parent_id is not None:
        parent = visible_tickets(request.user).filter(pk=payload.parent_id).first()
        if parent is None:
            raise ApplicationError(CoreErrorCode.NOT_FOUND, "No such ticket.", field="parent_id")
    return relations.ticket_set_parent(child=child, parent=parent, actor=request.user)


@router.get("/ticket-categories", response=list[CategoryOut], summary="The category tree (active categories)")
def list_categories(request: HttpRequest) -> Any:
    return TicketCategory.objects.filter(is_active=True).select_related("parent")


# --- the response clock (R16–R19) ------------------------------------------------------------


CLOCK_FIELDS = (
    "sequence",
    "state",
    "priority",
    "target_seconds",
    "business_hours",
    "vip",
    "started_at",
    "due_at",
    "stopped_at",
    "response_seconds",
    "breached_at",
)


@router.get(
    "/tickets/{ticket_id}/clock",
    response=TicketClockOut,
    summary="The respond clock of the current escalation (R16–R19)",
    description=(
        "Visible to whoever may see the ticket. The provider's staff also get the clock's events (each "
        "start, pause, re-target, exclusion and stop, with its reason) and who stopped it. `previous` lists "
        "the clocks of earlier escalations. A ticket never escalated has no clock: 404 with that message."
    ),
)
def get_clock(request: HttpRequest, ticket_id: int) -> Any:
    ticket = _ticket(request, ticket_id)
    clocks = list(ResponseClock.objects.filter(ticket=ticket).order_by("sequence"))
    current = next((c for c in clocks if c.is_current), None)
    if current is None:
        raise ApplicationError(
            CoreErrorCode.NOT_FOUND, f"Ticket #{ticket.number} has no response clock: it was never escalated."
        )
    staff = is_staff_caller(request)
    warn_at = (
        ClockTimer.objects.filter(clock=current, kind=TimerKind.WARNING, fired_at__isnull=True, fire_at__isnull=False)
        .values_list("fire_at", flat=True)
        .first()
    )
    events = None
    if staff:
        events = [
            {
                "at": event.at,
                "kind": event.kind,
                "text": event.text,
                "actor": event.actor.full_name if event.actor is not None else None,
                "data": event.data,
            }
            for event in current.events.select_related("actor")
        ]
    return {
        "ticket_id": ticket.pk,
        "number": ticket.number,
        **{name: getattr(current, name) for name in CLOCK_FIELDS},
        "exclusion": current.exclusion or {},
        "warn_at": warn_at,
        "stopped_by_id": current.stopped_by_id if staff else None,
        "events": events,
        "previous": [c for c in clocks if not c.is_current],
    }


@router.post(
    "/tickets/{ticket_id}/required-tier",
    response=TicketTriageOut,
    summary="Triage: the least tier whose start is the response (R17)",
    description=(
        "Dispatchers and administrators, with a reason. Only a start of work by this tier or higher stops the "
        "respond clock; the deadline does not move."
    ),
)
def set_required_tier(request: HttpRequest, ticket_id: int, payload: RequiredTierIn) -> Any:
    require_write(request)
    return desk.ticket_set_required_tier(
        ticket=_ticket(request, ticket_id), actor=request.user, tier=payload.tier, reason=payload.reason
    )
