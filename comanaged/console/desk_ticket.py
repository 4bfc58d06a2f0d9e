"""The ticket's page on the provider's desk: everything about one ticket, its whole timeline
(internal notes marked), its files, and every desk action — start work (R17), claim and assign
(R12), status, tier and vendor escalations (R20, R28), verdict override, the tier whose start
is the response (R17), notes, resolve, reopen, merge and parent — and the response clock with
every event it kept, so each attainment figure can be explained (R16–R19).

Each action is looked up in scope first (a foreign ticket is a 404), role-gated after (a 403),
validated by its form and then by its service; a refusal is shown beside its field and changes
nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from comanaged.agreements import policy
from comanaged.agreements.models import VendorCoverage
from comanaged.agreements.selectors import coverage_facts
from comanaged.console.access import staff_page
from comanaged.console.desk import require_edit, user_of
from comanaged.console.desk_forms import (
    AssignForm,
    MergeForm,
    NoteForm,
    OptionalReasonForm,
    ParentForm,
    RaiseTierForm,
    ReopenForm,
    RequiredTierForm,
    ResolveForm,
    StatusForm,
    VendorEscalationForm,
    VerdictForm,
    add_problems,
)
from comanaged.core import files
from comanaged.core.errors import ApplicationError
from comanaged.tenancy.access import MAX_ID
from comanaged.tenancy.choices import StaffRoleCode
from comanaged.tenancy.models import StaffProfile
from comanaged.tenancy.permissions import Area, can_edit
from comanaged.tickets import conversation, desk, relations, services
from comanaged.tickets.access import visible_events, visible_tickets
from comanaged.tickets.choices import Status, Tier, Verdict
from comanaged.tickets.clock.display import clocks_of, view_of
from comanaged.tickets.models import DESK_OPEN, Ticket, TicketEvent

TICKET_RELATED = (
    "client",
    "requester__site",
    "affected_person",
    "site",
    "application",
    "category__parent",
    "assignee__user",
    "desk_vertical",
    "parent",
    "merged_into",
    "logged_by",
)
OPEN_STATUSES = frozenset({Status.NEW, *DESK_OPEN})


def ticket_or_404(request: HttpRequest, number: int) -> Ticket:
    """A ticket of a client in the user's scope, by number; anyone else's is a 404."""
    if not 1 <= number <= MAX_ID:
        raise Http404
    ticket = visible_tickets(request.user).select_related(*TICKET_RELATED).filter(number=number).first()
    if ticket is None:
        raise Http404
    return ticket


EVENT_STYLE = {
    "created": ("Logged", "bi-plus-circle"),
    "escalated": ("Escalated", "bi-arrow-up-right-circle"),
    "routed_to_poc": ("Routed to the POC", "bi-signpost-split"),
    "assigned": ("Assigned", "bi-person-check"),
    "work_started": ("Work started", "bi-play-circle-fill"),
    "status": ("Status", "bi-arrow-repeat"),
    "tier_raised": ("Tier raised", "bi-chevron-double-up"),
    "vendor_escalated": ("Vendor escalation", "bi-building-up"),
    "verdict_changed": ("Verdict changed", "bi-clipboard-check"),
    "note": ("Note", "bi-chat-left-text"),
    "resolved": ("Resolved", "bi-check-circle"),
    "closed": ("Closed", "bi-lock"),
    "reopened": ("Reopened", "bi-arrow-counterclockwise"),
    "merged": ("Merged in", "bi-union"),
    "merged_into": ("Merged", "bi-union"),
    "linked": ("Linked", "bi-diagram-3"),
    "unlinked": ("Unlinked", "bi-diagram-3"),
    "updated": ("Updated", "bi-pencil"),
}

# Each action: the form it reads, and what it does with the cleaned data (a message on success).
Handler = Callable[[HttpRequest, Ticket, dict[str, Any]], str]


def _start_work(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    desk.ticket_start_work(ticket=ticket, actor=request.user, reason=data["reason"])
    return f"You are working on #{ticket.number}; your start is recorded for the response clock (R17)."


def _claim(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    desk.ticket_claim(ticket=ticket, actor=request.user, reason=data["reason"])
    return f"#{ticket.number} is yours."


def _assign(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    assignee: StaffProfile | None = data["assignee"]
    desk.ticket_assign(ticket=ticket, actor=request.user, assignee=assignee, reason=data["reason"])
    return f"Assigned #{ticket.number} to {assignee.user.full_name}." if assignee else "Back in the queue."


def _status(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    desk.ticket_set_status(ticket=ticket, actor=request.user, status=data["status"], note=data["note"])
    return f"Status: {Status(data['status']).label}."


def _raise_tier(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    desk.ticket_raise_tier(ticket=ticket, actor=request.user, tier=data["tier"], reason=data["reason"])
    return f"Escalated to {Tier(data['tier']).label} engineers."


def _vendor(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    escalation = desk.ticket_vendor_escalate(
        ticket=ticket,
        actor=request.user,
        case_number=data["case_number"],
        coverage=data["coverage"],
        note=data["note"],
    )
    return f"Escalated to {escalation.vendor} (case {escalation.case_number})."


def _verdict(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    desk.ticket_override_verdict(ticket=ticket, actor=request.user, verdict=data["verdict"], reason=data["reason"])
    return f"Verdict: {Verdict(data['verdict']).label}."


def _required_tier(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    desk.ticket_set_required_tier(ticket=ticket, actor=request.user, tier=data["tier"], reason=data["reason"])
    return f"Only a start by {Tier(data['tier']).label} or higher now stops the response clock (R17)."


def _resolve_action(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    services.ticket_resolve(ticket=ticket, actor=request.user, resolution=data["resolution"])
    return f"#{ticket.number} is resolved."


def _reopen(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    conversation.ticket_reopen(ticket=ticket, actor=request.user, reason=data["reason"])
    return f"#{ticket.number} is reopened."


def _related(request: HttpRequest, number: int, field: str) -> Ticket:
    other = visible_tickets(request.user).filter(number=number).first()
    if other is None:
        raise ApplicationError("not_found", f"There is no ticket #{number}.", field=field)
    return other


def _merge(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    target = _related(request, data["into"], "into")
    relations.ticket_merge(source=ticket, target=target, actor=request.user)
    return f"#{ticket.number} is merged into #{target.number}."


def _parent(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    parent = _related(request, data["parent"], "parent") if data["parent"] else None
    relations.ticket_set_parent(child=ticket, parent=parent, actor=request.user)
    return f"#{ticket.number} is part of incident #{parent.number}." if parent else "No longer part of an incident."


def _escalate(request: HttpRequest, ticket: Ticket, data: dict[str, Any]) -> str:
    desk.require_desk(request.user)
    services.ticket_escalate(ticket=ticket, actor=request.user, escalating_person=ticket.requester)
    return f"#{ticket.number} is on the desk."


@dataclass(frozen=True)
class Action:
    form: Callable[..., forms.Form]
    run: Handler
    area: Area = Area.TICKETS


ACTIONS: dict[str, Action] = {
    "start-work": Action(OptionalReasonForm, _start_work),
    "claim": Action(OptionalReasonForm, _claim),
    "assign": Action(AssignForm, _assign),
    "status": Action(StatusForm, _status),
    "raise-tier": Action(RaiseTierForm, _raise_tier),
    "vendor": Action(VendorEscalationForm, _vendor),
    "verdict": Action(VerdictForm, _verdict, Area.TICKET_VERDICT),
    "required-tier": Action(RequiredTierForm, _required_tier, Area.TICKET_VERDICT),
    "resolve": Action(ResolveForm, _resolve_action),
    "reopen": Action(ReopenForm, _reopen),
    "merge": Action(MergeForm, _merge),
    "parent": Action(ParentForm, _parent),
    "escalate": Action(forms.Form, _escalate),
}


TAKE_ACTIONS = ("start-work", "claim")


def _form(name: str, ticket: Ticket, data: Any = None, files_: Any = None) -> forms.Form:
    if name == "assign":
        return AssignForm(data, vertical_id=ticket.desk_vertical_id, prefix=name)
    if name == "vendor":
        return VendorEscalationForm(data, client_id=ticket.client_id, prefix=name)
    if name == "note":
        return NoteForm(data, files_, prefix=name)
    if name == "required-tier":
        return RequiredTierForm(data, prefix=name, initial={"tier": ticket.required_tier})
    if name in TAKE_ACTIONS:  # one reason box serves both buttons
        return OptionalReasonForm(data)
    return ACTIONS[name].form(data, prefix=name)


@require_GET
@staff_page(Area.TICKETS)
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_ticket(request, ticket_or_404(request, number))


@require_POST
@staff_page(Area.TICKETS)
def ticket_action(request: HttpRequest, number: int, action: str) -> HttpResponse:
    """Every desk action of the ticket page: scoped (404), role-gated (403), validated by the
    form and then by the service; a refusal is shown beside its field and changes nothing."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404
    ticket = ticket_or_404(request, number)
    require_edit(request, spec.area)
    form = _form(action, ticket, request.POST)
    if form.is_valid():
        try:
            message = spec.run(request, ticket, form.cleaned_data)
        except ApplicationError as error:
            add_problems(form, error)
        else:
            messages.success(request, message)
            return HttpResponseRedirect(reverse("console:ticket", args=[ticket.number]))
    ticket.refresh_from_db()
    return _render_ticket(request, ticket, failed=action, failed_form=form, status=200)


@csrf_exempt
@require_POST
def ticket_note(request: HttpRequest, number: int) -> HttpResponse:
    """A note with files. The upload limit is put in place before anything reads the body, so
    CSRF is checked by ``csrf_protect`` just after (the exemption moves the check, see
    ``comanaged.core.files.LimitedUploadHandler``)."""
    limit = settings.ATTACHMENT_MAX_BYTES * conversation.MAX_FILES_PER_NOTE
    try:
        files.refuse_oversized_request(request, limit)
    except ApplicationError as error:
        return HttpResponse(error.message, status=413, content_type="text/plain; charset=utf-8")
    limiter = files.LimitedUploadHandler(settings.ATTACHMENT_MAX_BYTES, request)
    request.upload_handlers.insert(0, limiter)
    return _ticket_note(request, number, limiter)


@csrf_protect
@staff_page(Area.TICKETS)
def _ticket_note(request: HttpRequest, number: int, limiter: files.LimitedUploadHandler) -> HttpResponse:
    request.POST  # noqa: B018 - parse the body now, so an oversized file stops here
    ticket = ticket_or_404(request, number)
    require_edit(request, Area.TICKETS)
    form = _form("note", ticket, request.POST, request.FILES)
    try:
        limiter.raise_if_exceeded()
    except ApplicationError as error:
        add_problems(form, error)
        return _render_ticket(request, ticket, failed="note", failed_form=form)
    if form.is_valid():
        data = form.cleaned_data
        try:
            conversation.ticket_add_note(
                ticket=ticket,
                actor=request.user,
                text=data["text"],
                public=data["visibility"] == "public",
                uploads=data["uploads"],
            )
        except ApplicationError as error:
            for problem in error.problems:
                if problem.field in {"file", "files", "key"}:
                    form.add_error("uploads", problem.message)
                else:
                    form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(
                request, "Note added." if data["visibility"] == "internal" else "Note added; the client is told."
            )
            return HttpResponseRedirect(reverse("console:ticket", args=[ticket.number]) + "#timeline")
    return _render_ticket(request, ticket, failed="note", failed_form=form)


@require_GET
@staff_page(Area.TICKETS)
def attachment_download(request: HttpRequest, number: int, pk: int) -> HttpResponse:
    ticket = ticket_or_404(request, number)
    attachment = ticket.attachments.filter(pk=pk).first() if pk <= MAX_ID else None
    if attachment is None:
        raise Http404
    try:
        conversation.ensure_may_read_attachment(request.user, attachment)
        # A streaming response; the console's decorators type every view as an HttpResponse.
        return cast(HttpResponse, files.file_response(attachment, inline=request.GET.get("inline") == "1"))
    except (PermissionDenied, ApplicationError) as error:
        raise Http404 from error


def _render_ticket(
    request: HttpRequest,
    ticket: Ticket,
    *,
    failed: str | None = None,
    failed_form: forms.Form | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    forms_ = {name: _form(name, ticket) for name in [*ACTIONS, "note"]}
    if failed and failed_form is not None:
        forms_[failed] = failed_form
        for field_name in failed_form.errors:
            if field_name in failed_form.fields:
                widget = failed_form.fields[field_name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
    profile = StaffProfile.objects.filter(user=user_of(request)).prefetch_related("verticals", "roles").first()
    fits_vertical = ticket.desk_vertical_id is None or (
        profile is not None and any(v.pk == ticket.desk_vertical_id for v in profile.verticals.all())
    )
    events = list(visible_events(user, ticket))
    attachments = {a.pk: a for a in ticket.attachments.select_related("uploaded_by")}
    timeline = []
    for event in events:
        label, icon = EVENT_STYLE.get(event.kind, (event.kind.replace("_", " ").capitalize(), "bi-dot"))
        timeline.append(
            {
                "event": event,
                "label": label,
                "icon": icon,
                "files": [attachments[i] for i in _attachment_ids(event) if i in attachments],
            }
        )
    listed_files = {i for event in events for i in _attachment_ids(event) if i in attachments}
    coverages = list(VendorCoverage.objects.filter(client_id=ticket.client_id))
    today = now.astimezone(ZoneInfo(ticket.client.time_zone)).date()
    vendor_check = policy.vendor_escalation(coverage_facts(coverages), today)
    on_desk = ticket.status in DESK_OPEN
    clocks = [
        view_of(c, now=now, status_label=ticket.get_status_display(), with_events=True) for c in clocks_of(ticket)
    ]
    current = next((c for c in clocks if c.clock.is_current), None)
    context = {
        "section": "desk",
        "ticket": ticket,
        "clock": current,
        "earlier_clocks": [c for c in clocks if c is not current],
        "timeline": timeline,
        "other_files": [a for a in attachments.values() if a.pk not in listed_files],
        "children": list(ticket.children.order_by("number")),
        "merged": list(ticket.merged.order_by("number")),
        "escalations": list(ticket.vendor_escalations.select_related("opened_by")),
        "vendor_decision": vendor_check,
        "forms": {name.replace("-", "_"): form for name, form in forms_.items()},
        "take_form": forms_[failed] if failed in TAKE_ACTIONS else forms_["start-work"],
        "failed": failed,
        "can_act": can_edit(user, Area.TICKETS),
        "can_verdict": can_edit(user, Area.TICKET_VERDICT),
        "on_desk": on_desk,
        "is_open": ticket.status in OPEN_STATUSES and not ticket.merged_into_id,
        "is_mine": profile is not None and ticket.assignee_id == profile.pk,
        "is_technician": profile is not None and profile.has_role(StaffRoleCode.TECHNICIAN),
        "fits_vertical": fits_vertical,
        "working": ticket.status == Status.IN_PROGRESS and profile is not None and ticket.assignee_id == profile.pk,
        "people_roles": _people_roles(ticket),
    }
    return render(request, "console/desk_ticket.html", context, status=status)


def _attachment_ids(event: TicketEvent) -> list[int]:
    raw = event.data.get("attachments") if isinstance(event.data, dict) else None
    return [i for i in raw if isinstance(i, int)] if isinstance(raw, list) else []


def _people_roles(ticket: Ticket) -> list[tuple[str, Any]]:
    if ticket.affected_person_id in (None, ticket.requester_id):
        return [("Requester and affected", ticket.requester)]
    return [("Requester", ticket.requester), ("Affected", ticket.affected_person)]
