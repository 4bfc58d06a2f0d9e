"""The POC's ticketing & support portal (R33): the ticket list with filters and saved views, a new
ticket with the contract's verdict shown before submitting, and the ticket page with its public
timeline, notes and files, escalate, resolve, confirm and reopen. End-users of Co-managed+ use
the same pages for their own requests."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from comanaged.agreements.choices import Plan, Priority
from comanaged.agreements.policy import RESPOND_TARGETS
from comanaged.agreements.selectors import active_agreement, person_may_escalate
from comanaged.core import files
from comanaged.core.errors import ApplicationError
from comanaged.portal.access import portal_page
from comanaged.portal.ticket_forms import NoteForm, ReasonForm, ResolveForm, TicketForm
from comanaged.tenancy.access import MAX_ID, parse_id
from comanaged.tenancy.models import Person, User
from comanaged.tickets import conversation, services
from comanaged.tickets.access import editable_fields, visible_events, visible_tickets
from comanaged.tickets.choices import Source, Status, Verdict
from comanaged.tickets.clock.display import current_clock, view_of
from comanaged.tickets.models import DESK_OPEN, SavedView, Ticket
from comanaged.tickets.priority import suggest_priority

PAGE_SIZE = 25
VIEWS = {
    "open": ("Open", Q(status__in=[Status.NEW, *DESK_OPEN])),
    "mine": ("Waiting on us", Q(status=Status.WAITING_ON_CLIENT)),
    "internal": ("In our queue", Q(status=Status.NEW)),
    "desk": ("With the service desk", Q(status__in=DESK_OPEN)),
    "resolved": ("Resolved", Q(status__in=[Status.RESOLVED, Status.CLOSED])),
    "all": ("All", Q()),
}
FILTER_KEYS = ("view", "priority", "q", "requester")
VERDICT_STYLE = {
    Verdict.COVERED: "success",
    Verdict.COVERED_NO_TARGET: "info",
    Verdict.BILLABLE: "warning",
    Verdict.OUT_OF_SCOPE: "danger",
    Verdict.ROUTE_TO_POC: "secondary",
}


def _filtered(request: HttpRequest, person: Person) -> tuple[Any, dict[str, str]]:
    tickets = visible_tickets(request.user).select_related("category__parent", "requester", "assignee__user")
    state = {key: request.GET.get(key, "").strip()[:100] for key in FILTER_KEYS}
    view = state["view"] if state["view"] in VIEWS else "open"
    state["view"] = view
    tickets = tickets.filter(VIEWS[view][1])
    if state["priority"] in Priority.values:
        tickets = tickets.filter(priority=state["priority"])
    else:
        state["priority"] = ""
    if state["requester"] == "me":
        tickets = tickets.filter(Q(requester=person) | Q(affected_person=person))
    else:
        state["requester"] = ""
    q = state["q"]
    if q:
        condition = Q(title__icontains=q)
        number = parse_id(q.lstrip("#"))
        if number is not None:
            condition |= Q(number=number)
        tickets = tickets.filter(condition)
    return tickets.order_by("-updated_at", "-pk"), state


@portal_page
def ticket_list(request: HttpRequest, person: Person) -> HttpResponse:
    if request.method == "POST":
        return _saved_view_action(request)
    tickets, state = _filtered(request, person)
    page = Paginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in state.items() if v and not (k == "view" and v == "open")})
    context = {
        "section": "tickets",
        "person": person,
        "client": person.client,
        "page": page,
        "state": state,
        "views": [(key, label) for key, (label, _) in VIEWS.items()],
        "priorities": Priority.choices,
        "query": query,
        "saved_views": SavedView.objects.filter(user_id=request.user.pk or 0, page="portal"),
        "verdict_style": VERDICT_STYLE,
    }
    return render(request, "portal/tickets.html", context)


def _saved_view_action(request: HttpRequest) -> HttpResponse:
    """Save the current filters under a name, or delete one of the caller's saved views."""
    user = request.user
    assert isinstance(user, User)
    if request.POST.get("action") == "delete_view":
        view_id = parse_id(request.POST.get("view_id"))
        if view_id is not None:
            SavedView.objects.filter(user=user, page="portal", pk=view_id).delete()
        return HttpResponseRedirect(reverse("portal:tickets"))
    name = request.POST.get("name", "").replace("\x00", "").strip()[:60]
    query = QueryDict(request.POST.get("query", "").replace("\x00", "")[:500])
    clean = urlencode({k: query.get(k, "")[:100] for k in FILTER_KEYS if query.get(k)})
    if not name:
        messages.error(request, "Give the view a name.")
    elif SavedView.objects.filter(user=user, page="portal").count() >= 20:
        messages.error(request, "You can keep up to 20 saved views; delete one first.")
    else:
        SavedView.objects.update_or_create(user=user, page="portal", name=name, defaults={"query": clean})
        messages.success(request, f"Saved the view “{name}”.")
    return HttpResponseRedirect(f"{reverse('portal:tickets')}?{clean}")


def _coverage(person: Person) -> dict[str, Any]:
    """What the person may do right now, for the new-ticket page (R10, R11, R13, R27)."""
    agreement = active_agreement(person.client)
    decision = person_may_escalate(person=person, priority="P1")
    return {
        "agreement": agreement,
        "plus": bool(agreement and agreement.plan == Plan.CO_MANAGED_PLUS),
        "may_escalate_p1": decision.allowed,
        "message": decision.message,
    }


def _draft(form: TicketForm, person: Person) -> Ticket:
    """An unsaved ticket from whatever the form holds so far (for the verdict preview)."""
    ticket = Ticket(client=person.client, requester=person, source=Source.PORTAL)
    data = getattr(form, "cleaned_data", {})
    for name in form.fields:
        if name in data and data[name] not in (None, ""):
            setattr(ticket, name, data[name])
    if ticket.affected_person_id is None:
        ticket.affected_person = person
    return ticket


def _assessment_context(ticket: Ticket, person: Person) -> dict[str, Any]:
    assessment = services.ticket_assessment(ticket=ticket, escalating_person=person)
    target = RESPOND_TARGETS.get(ticket.priority) if assessment.verdict == Verdict.COVERED else None
    return {
        "assessment": assessment,
        "style": VERDICT_STYLE[assessment.verdict],
        "missing": [services.ESCALATION_FIELDS[p.field or ""] for p in services.escalation_problems(ticket)],
        "target_hours": int(target.total_seconds() // 3600) if target else None,
        "suggested": suggest_priority(ticket.impact, ticket.urgency) if ticket.impact and ticket.urgency else "",
        "person": person,
    }


@portal_page
def ticket_new(request: HttpRequest, person: Person) -> HttpResponse:
    form = TicketForm(request.POST or None, person=person, instance=Ticket(client=person.client, requester=person))
    if request.method == "POST" and form.is_valid():
        escalate = request.POST.get("action") == "escalate" or not person.is_poc
        ticket = form.save(commit=False)
        ticket.source = Source.PORTAL
        if ticket.affected_person_id is None:
            ticket.affected_person = person
        try:
            saved = services.ticket_submit(
                ticket=ticket,
                actor=request.user,
                escalating_person=person,
                escalate=escalate,
                idempotency_key=request.POST.get("submission", "")[:80],
            )
        except ApplicationError as error:
            _add_problems(form, error)
        else:
            messages.success(request, _submitted_message(saved))
            return HttpResponseRedirect(reverse("portal:ticket", args=[saved.number]))
    draft = _draft(form, person) if form.is_bound else Ticket(client=person.client, requester=person, priority="")
    context = {
        "section": "tickets",
        "person": person,
        "client": person.client,
        "form": form.mark_invalid(),
        "submission": request.POST.get("submission") or uuid.uuid4().hex,
        "coverage": _coverage(person),
        "priorities": [(code, label.split(" — ")) for code, label in Priority.choices],
        **_assessment_context(draft, person),
    }
    return render(request, "portal/ticket_new.html", context)


def _submitted_message(ticket: Ticket) -> str:
    if ticket.status == Status.ESCALATED:
        return f"Ticket #{ticket.number} is with the service desk — {ticket.get_verdict_display()}."
    if ticket.verdict == Verdict.ROUTE_TO_POC:
        return f"Ticket #{ticket.number} is logged; your POC will handle it."
    return f"Ticket #{ticket.number} is logged in your own queue. Escalate it when you need the service desk."


def _add_problems(form: Any, error: ApplicationError) -> None:
    for problem in error.problems:
        field = problem.field if problem.field in form.fields else None
        form.add_error(field, problem.message)


@portal_page
@require_POST
def ticket_assess(request: HttpRequest, person: Person) -> HttpResponse:
    """The verdict preview beside the form (htmx), recomputed as the POC fills it in."""
    form = TicketForm(request.POST, person=person, instance=Ticket(client=person.client, requester=person))
    form.is_valid()
    return render(request, "portal/_verdict.html", _assessment_context(_draft(form, person), person))


def _ticket_of(request: HttpRequest, number: int) -> Ticket:
    if not 1 <= number <= MAX_ID:
        raise Http404
    ticket = (
        visible_tickets(request.user)
        .select_related("category__parent", "requester", "affected_person", "assignee__user", "site")
        .filter(number=number)
        .first()
    )
    if ticket is None:
        raise Http404
    return ticket


@portal_page
def ticket_detail(request: HttpRequest, person: Person, number: int) -> HttpResponse:
    ticket = _ticket_of(request, number)
    forms: dict[str, Any] = {"note": NoteForm(), "reopen": ReasonForm(), "resolve": ResolveForm()}
    edit = TicketForm(instance=ticket, person=person) if _may_edit(request, ticket) else None
    if request.method == "POST":
        response = _act(request, person, ticket, forms)
        if response is not None:
            return response
        if request.POST.get("action") == "edit" and edit is not None:
            edit = TicketForm(request.POST, instance=ticket, person=person)
            response = _edit(request, person, ticket, edit)
            if response is not None:
                return response
    ticket.refresh_from_db()
    clock = current_clock(ticket)
    context = {
        "section": "tickets",
        "person": person,
        "client": person.client,
        "ticket": ticket,
        # Target, deadline, countdown and outcome only: the clock's events and who stopped it
        # are the desk's (R16, R17).
        "clock": view_of(clock, now=timezone.now(), status_label=ticket.get_status_display()) if clock else None,
        "events": visible_events(request.user, ticket),
        "attachments": ticket.attachments.filter(public=True),
        # Related tickets only as far as this person may see them (an end-user: their own).
        "children": visible_tickets(request.user).filter(parent=ticket),
        "parent": visible_tickets(request.user).filter(pk=ticket.parent_id).first() if ticket.parent_id else None,
        "merged_into": visible_tickets(request.user).filter(pk=ticket.merged_into_id).first()
        if ticket.merged_into_id
        else None,
        "forms": forms,
        "edit": edit,
        "may_manage": person.is_poc,
        "verdict_style": VERDICT_STYLE.get(Verdict(ticket.verdict), "secondary") if ticket.verdict else "secondary",
        "max_mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024),
        "missing": [services.ESCALATION_FIELDS[p.field or ""] for p in services.escalation_problems(ticket)]
        if ticket.status == Status.NEW
        else [],
    }
    return render(request, "portal/ticket_detail.html", context)


def _may_edit(request: HttpRequest, ticket: Ticket) -> bool:
    """The one edit rule (``tickets.access.editable_fields``), asked for the page."""
    try:
        return ticket.status == Status.NEW and bool(editable_fields(request.user, ticket))
    except PermissionDenied:
        return False


def _act(request: HttpRequest, person: Person, ticket: Ticket, forms: dict[str, Any]) -> HttpResponse | None:
    """Run one POSTed action; a redirect when it worked, None (forms hold the errors) when not."""
    action = request.POST.get("action", "")
    user = request.user
    here = reverse("portal:ticket", args=[ticket.number])
    try:
        if action == "note":
            note = forms["note"] = NoteForm(request.POST)
            if not note.is_valid():
                return None
            uploads = request.FILES.getlist("files")
            conversation.ticket_add_note(ticket=ticket, actor=user, text=note.cleaned_data["text"], uploads=uploads)
            messages.success(request, "Your note is added." if note.cleaned_data["text"] else "Files attached.")
        elif action == "escalate":  # who may: the service decides (POC, or the requester)
            services.ticket_escalate(ticket=ticket, actor=user, escalating_person=person)
            ticket.refresh_from_db()
            messages.success(request, f"Escalated to the service desk — {ticket.get_verdict_display()}.")
        elif action == "resolve":
            resolve = forms["resolve"] = ResolveForm(request.POST)
            if not resolve.is_valid():
                return None
            services.ticket_resolve(ticket=ticket, actor=user, resolution=resolve.cleaned_data["resolution"])
            messages.success(request, "Resolved.")
        elif action == "confirm":
            conversation.ticket_confirm(ticket=ticket, actor=user)
            messages.success(request, "Thank you — the ticket is closed.")
        elif action == "reopen":
            reopen = forms["reopen"] = ReasonForm(request.POST)
            if not reopen.is_valid():
                return None
            conversation.ticket_reopen(ticket=ticket, actor=user, reason=reopen.cleaned_data["reason"])
            messages.success(request, "Reopened.")
        else:
            return None
    except ApplicationError as error:
        target = forms.get(action)
        if target is not None:
            _add_problems(target, error)
        for problem in error.problems:
            if target is None or problem.field not in getattr(target, "fields", {}):
                messages.error(request, problem.message)
        return HttpResponseRedirect(here) if target is None else None
    return HttpResponseRedirect(here)


def _edit(request: HttpRequest, person: Person, ticket: Ticket, form: TicketForm) -> HttpResponse | None:
    if not form.is_valid():
        return None
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    try:
        services.ticket_update(ticket=ticket, actor=request.user, changes=changes)
    except ApplicationError as error:
        _add_problems(form, error)
        return None
    messages.success(request, "Details saved.")
    return HttpResponseRedirect(reverse("portal:ticket", args=[ticket.number]))


@portal_page
def attachment(request: HttpRequest, person: Person, number: int, attachment_id: int) -> HttpResponse:
    ticket = _ticket_of(request, number)
    row = ticket.attachments.filter(pk=attachment_id, public=True).first() if 1 <= attachment_id <= MAX_ID else None
    if row is None:
        raise Http404
    try:
        response: HttpResponse = files.file_response(row)  # type: ignore[assignment]
    except ApplicationError as error:  # the bytes are gone (restored backup without var/files)
        raise Http404 from error
    return response
