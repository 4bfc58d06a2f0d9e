"""The provider's technician desk in the console: the queue of escalated tickets (filters,
saved views, bulk actions, CSV), logging a ticket taken by phone, and the helpers the ticket's
page (``desk_ticket``) shares.

Thin adapters like the rest of the console: reads go through ``visible_tickets`` (a foreign
ticket is a 404), the role is checked after the lookup (a 403), and every write is one call to
a ticket service — R12, R14, R17, R20 and R28 are decided there, never here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from comanaged.agreements.choices import Priority
from comanaged.console.access import staff_page
from comanaged.console.desk_forms import (
    BULK_ACTIONS,
    BulkForm,
    PhoneTicketForm,
    SavedViewForm,
    add_problems,
    selected_ids,
    technician_label,
    technicians,
)
from comanaged.console.listing import Column, Listing
from comanaged.core import audit
from comanaged.core.errors import ApplicationError
from comanaged.core.services import save_audited
from comanaged.tenancy.access import MAX_ID, parse_id
from comanaged.tenancy.models import Client, User, Vertical
from comanaged.tenancy.permissions import Area, can_edit
from comanaged.tickets import desk, services
from comanaged.tickets.access import visible_tickets
from comanaged.tickets.choices import Status, Tier, Verdict
from comanaged.tickets.clock.display import with_warning
from comanaged.tickets.clock.models import ClockState, ResponseClock
from comanaged.tickets.models import DESK_OPEN, SavedView, Ticket

PAGE_SIZE = 50
SAVED_VIEW_PAGE = "desk"
SOON = dt.timedelta(hours=1)
# Joined in the page query; the rest is prefetched — on PostgreSQL, planning an 8-table join cost
# more than running it (bench/tickets.py).
QUEUE_RELATED = ("client", "assignee__user", "desk_vertical")
QUEUE_PREFETCH = ("category__parent", "affected_person")
DESK_STATUSES = tuple(Status(s) for s in DESK_OPEN)


# --- how long until a ticket must be answered (R16, R17) ---------------------------------------


@dataclass(frozen=True)
class Due:
    state: str  # overdue, warning (past the warning point), soon (within the hour), later, paused, none, met, missed
    text: str
    at: dt.datetime | None


# The current clock's columns the queue reads, one query for the whole page (``page_clocks``).
CLOCK_COLUMNS = ("ticket_id", "state", "due_at", "breached_at", "stopped_at", "warn_at")


def page_clocks(ticket_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The current clock of each ticket of a page, with its warning instant: ONE query whatever
    the page size (the queue is benchmarked, bench/tickets.py)."""
    clocks = with_warning(ResponseClock.objects.filter(ticket_id__in=ticket_ids, is_current=True))
    return {row["ticket_id"]: row for row in clocks.values(*CLOCK_COLUMNS)}


def due_of(ticket: Ticket, now: dt.datetime, clock: dict[str, Any] | None = None) -> Due:
    """The respond deadline said the way a dispatcher reads it: '12m overdue', 'in 45m', 'paused'.
    With the ticket's current clock (a ``page_clocks`` row) the clock's state decides: paused,
    excluded (no target), met or missed, and amber once past the warning point (R16–R18)."""
    at = ticket.respond_due_at
    if clock is not None:
        state = clock["state"]
        if state == ClockState.PAUSED:
            return Due("paused", "paused", None)
        if state in (ClockState.EXCLUDED, ClockState.CANCELLED):
            return Due("none", "no target", None)
        if state == ClockState.MISSED and clock["stopped_at"] is None:
            return Due("missed", "missed", clock["due_at"])
        if state == ClockState.RUNNING and at is not None:
            seconds = (at - now).total_seconds()
            if seconds < 0 or clock["breached_at"] is not None:
                return Due("overdue", f"{_span(abs(seconds))} overdue" if seconds < 0 else "breached", at)
            warned = clock["warn_at"] is not None and clock["warn_at"] <= now
            return Due("warning" if warned else "later", f"in {_span(seconds)}", at)
    if at is None:
        return Due("none", "no target", None)
    if ticket.work_started_at is not None:
        late = (ticket.work_started_at - at).total_seconds()
        if late <= 0:
            return Due("met", "responded in time", at)
        return Due("missed", f"responded {_span(late)} late", at)
    seconds = (at - now).total_seconds()
    span = _span(abs(seconds))
    if seconds < 0:
        return Due("overdue", f"{span} overdue", at)
    return Due("soon" if seconds <= SOON.total_seconds() else "later", f"in {span}", at)


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    if minutes < 1:
        return "<1m"
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h"


# --- the queue ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskFilter:
    """One select of the queue: the codes it accepts and the condition each stands for."""

    param: str
    label: str
    choices: Sequence[tuple[str, str]]
    condition: Callable[[str], Q]


FILTER_PARAMS = ("client", "priority", "status", "tier", "vertical", "assignee", "due", "verdict")
QUERY_PARAMS = ("q", "sort", *FILTER_PARAMS)
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (F("respond_due_at").asc(nulls_last=True), "number"),
    "-due": (F("respond_due_at").desc(nulls_last=True), "-number"),
    "priority": (Case(When(priority="", then=Value(1)), default=Value(0)), "priority", "number"),
    "-priority": (Case(When(priority="", then=Value(1)), default=Value(0)), "-priority", "number"),
    "number": ("number",),
    "-number": ("-number",),
    "updated": ("updated_at", "number"),
    "-updated": ("-updated_at", "-number"),
}
SORT_LABELS = {"due": "Respond due", "priority": "Priority", "number": "Number", "updated": "Last update"}
SORT_CHOICES = (
    ("due", "Sort: respond due"),
    ("priority", "Sort: priority"),
    ("-number", "Sort: newest"),
    ("number", "Sort: oldest"),
    ("-updated", "Sort: last update"),
)
VERDICT_SHORT = {Verdict.COVERED_NO_TARGET: "Covered, no target", Verdict.ROUTE_TO_POC: "To the POC"}


def _int_choices(rows: Any) -> list[tuple[str, str]]:
    return [(str(pk), str(label)) for pk, label in rows]


def desk_filters(request: HttpRequest) -> list[DeskFilter]:
    """The queue's filters, with the choices this user may pick (cached for the request)."""
    cached = getattr(request, "_desk_filters", None)
    if cached is not None:
        return list(cached)
    user = request.user
    now = timezone.now()
    staff = [(str(s.pk), technician_label(s)) for s in technicians()]
    due_conditions = {
        "overdue": Q(respond_due_at__lt=now, work_started_at__isnull=True),
        "soon": Q(respond_due_at__gte=now, respond_due_at__lt=now + SOON, work_started_at__isnull=True),
        "none": Q(respond_due_at__isnull=True),
    }

    def assignee(value: str) -> Q:
        if value == "me":
            return Q(assignee__user=user)
        if value == "unassigned":
            return Q(assignee__isnull=True)
        return Q(assignee_id=int(value))

    filters = [
        DeskFilter(
            "client",
            "Client",
            _int_choices(Client.objects.for_user(user).order_by("name").values_list("pk", "name")),
            lambda v: Q(client_id=int(v)),
        ),
        DeskFilter("priority", "Priority", [(p.value, p.value) for p in Priority], lambda v: Q(priority=v)),
        DeskFilter("status", "Status", [(s.value, s.label) for s in DESK_STATUSES], lambda v: Q(status=v)),
        DeskFilter("tier", "Tier", [(t.value, t.label) for t in Tier if t != Tier.POC], lambda v: Q(tier=v)),
        DeskFilter(
            "vertical",
            "Vertical",
            [("none", "No vertical"), *_int_choices(Vertical.objects.values_list("pk", "name"))],
            lambda v: Q(desk_vertical__isnull=True) if v == "none" else Q(desk_vertical_id=int(v)),
        ),
        DeskFilter("assignee", "Assignee", [("me", "Me"), ("unassigned", "Unassigned"), *staff], assignee),
        DeskFilter(
            "due",
            "Due",
            [("overdue", "Overdue"), ("soon", "Due within 1 h"), ("none", "No target")],
            lambda v: due_conditions[v],
        ),
        DeskFilter("verdict", "Verdict", [(v.value, v.label) for v in Verdict], lambda v: Q(verdict=v)),
    ]
    request._desk_filters = filters  # type: ignore[attr-defined]
    return list(filters)


def clean_query(raw: QueryDict | str) -> str:
    """Only the queue's own parameters, once each, short: safe to store and to link to."""
    query = raw if isinstance(raw, QueryDict) else QueryDict(raw[:2000])
    kept = []
    for name in QUERY_PARAMS:
        value = query.get(name, "").strip()[:200]
        if value:
            kept.append((name, value))
    return urlencode(kept)


class DeskListing(Listing):
    """The queue: the shared CSV export of ``Listing`` over the desk's own filters and sorts
    (choices depend on the user; the due time sorts with empty targets last)."""

    def apply(self, request: HttpRequest, queryset: QuerySet[Any]) -> tuple[QuerySet[Any], dict[str, Any]]:
        q = request.GET.get("q", "").strip()[:200]
        if q:
            condition = Q(title__icontains=q)
            number = parse_id(q.lstrip("#").strip())
            if number is not None:
                condition |= Q(number=number)
            queryset = queryset.filter(condition)
        active: dict[str, str] = {}
        for spec in desk_filters(request):
            value = request.GET.get(spec.param, "")
            if value and value in {code for code, _ in spec.choices}:
                queryset = queryset.filter(spec.condition(value))
                active[spec.param] = value
        sort = request.GET.get("sort", self.default_sort)
        if sort not in SORTS:
            sort = self.default_sort
        return queryset.order_by(*SORTS[sort]), {"q": q, "active_filters": active, "sort": sort}


def _local(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


DESK = DeskListing(
    search=(),
    columns=(
        Column("Number", lambda t: t.number),
        Column("Title", lambda t: t.title),
        Column("Client", lambda t: t.client.name),
        Column("Priority", lambda t: t.priority),
        Column("Status", lambda t: t.get_status_display()),
        Column("Tier", lambda t: t.get_tier_display()),
        Column("Assignee", lambda t: t.assignee.user.full_name if t.assignee_id else ""),
        Column("Vertical", lambda t: t.desk_vertical.name if t.desk_vertical_id else ""),
        Column("Verdict", lambda t: t.get_verdict_display()),
        Column("Escalated", lambda t: _local(t.escalated_at)),
        Column("Respond due", lambda t: _local(t.respond_due_at)),
        Column("Work started", lambda t: _local(t.work_started_at)),
    ),
    default_sort="due",
)


def desk_queryset(user: Any) -> QuerySet[Ticket]:
    # on_desk, not status__in: it is what the partial indexes are built on (see Ticket.on_desk).
    return visible_tickets(user).filter(on_desk=True).select_related(*QUEUE_RELATED).prefetch_related(*QUEUE_PREFETCH)


STAT_CAP = 999


def desk_stats(user: Any, now: dt.datetime) -> dict[str, str]:
    """The counters above the queue: four counts, each a range of one partial index and each
    stopping at 1,000 ("999+") — a desk with more open tickets needs no exact figure, and counting
    70,000 index entries four times took 100 ms on SQLite (bench/tickets.py)."""
    desk = visible_tickets(user).filter(on_desk=True)
    waiting = desk.filter(work_started_at__isnull=True)
    counts = {
        "total": desk,
        "unassigned": desk.filter(assignee__isnull=True),
        "overdue": waiting.filter(respond_due_at__lt=now),
        "soon": waiting.filter(respond_due_at__gte=now, respond_due_at__lt=now + SOON),
    }
    return {name: capped_count(queryset) for name, queryset in counts.items()}


def capped_count(queryset: QuerySet[Ticket]) -> str:
    found = queryset.order_by()[: STAT_CAP + 1].count()
    return f"{STAT_CAP}+" if found > STAT_CAP else str(found) if found else ""


@require_GET
@staff_page(Area.TICKETS)
def queue(request: HttpRequest) -> HttpResponse:
    """The desk's queue: escalated, unresolved tickets of the clients in scope, due first."""
    if request.GET.get("format") == "csv":
        return DESK.csv(request, desk_queryset(request.user), "desk-queue")
    queryset, state = DESK.apply(request, desk_queryset(request.user))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    current = clean_query(request.GET)
    without_page = request.GET.copy()
    without_page.pop("page", None)
    export = QueryDict(current, mutable=True)
    export["format"] = "csv"
    stats = desk_stats(request.user, now)
    clocks = page_clocks([t.pk for t in page])
    context = {
        **state,
        "section": "desk",
        "stats": stats,
        "page": page,
        "rows": [
            {
                "ticket": t,
                "due": due_of(t, now, clocks.get(t.pk)),
                "updated": f"{_span((now - t.updated_at).total_seconds())} ago",
                "verdict": VERDICT_SHORT.get(t.verdict, t.get_verdict_display()) or "—",
            }
            for t in page
        ],
        "filters": [
            {
                "param": f.param,
                "label": f.label,
                "choices": f.choices,
                "value": state["active_filters"].get(f.param, ""),
            }
            for f in desk_filters(request)
        ],
        "sort_links": _sort_links(request, state["sort"]),
        "sort_choices": _sort_choices(state["sort"]),
        "query": current,
        "query_without_page": clean_query(without_page),
        "export_url": f"?{export.urlencode()}",
        "saved_views": [
            {"view": v, "active": v.query == current}
            for v in SavedView.objects.filter(user=user_of(request), page=SAVED_VIEW_PAGE)
        ],
        "saved_view_form": SavedViewForm(initial={"query": current}),
        "can_act": can_edit(request.user, Area.TICKETS),
        "bulk_actions": BULK_ACTIONS,
        "technician_choices": next(f.choices for f in desk_filters(request) if f.param == "assignee")[2:],
        "desk_unassigned_count": stats["unassigned"],  # the nav's badge, without asking again
        "now": now,
    }
    return render(request, "console/desk_queue.html", context)


def _sort_choices(sort: str) -> list[tuple[str, str]]:
    choices = list(SORT_CHOICES)
    if sort not in dict(choices):  # a header's reverse order: keep it selected
        name = SORT_LABELS[sort.removeprefix("-")].lower()
        choices.append((sort, f"Sort: {name}, reversed"))
    return choices


def _sort_links(request: HttpRequest, sort: str) -> dict[str, dict[str, Any]]:
    links = {}
    for name in SORT_LABELS:
        query = QueryDict(clean_query(request.GET), mutable=True)
        query["sort"] = f"-{name}" if sort == name else name
        links[name] = {
            "url": f"?{query.urlencode()}",
            "sorted": sort.removeprefix("-") == name,
            "descending": sort.startswith("-"),
        }
    return links


def require_edit(request: HttpRequest, area: Area) -> None:
    if not can_edit(request.user, area):
        raise PermissionDenied


def user_of(request: HttpRequest) -> User:
    """The signed-in user (``staff_page`` has already sent anyone else away)."""
    return cast(User, request.user)


def _back_to_queue(query: str) -> HttpResponseRedirect:
    cleaned = clean_query(query)
    return HttpResponseRedirect(reverse("console:desk") + (f"?{cleaned}" if cleaned else ""))


@require_POST
@staff_page(Area.TICKETS)
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Keep the current filters under a name (the same name again replaces them)."""
    form = SavedViewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the view a name (at most 60 characters).")
        return _back_to_queue(request.POST.get("query", ""))
    query = clean_query(form.cleaned_data["query"])
    if not query:
        messages.error(request, "Set a filter, a search or a sort before saving a view.")
        return _back_to_queue(query)
    name = form.cleaned_data["name"].strip()
    view = SavedView.objects.filter(user=user_of(request), page=SAVED_VIEW_PAGE, name=name).first()
    view = view or SavedView(user=user_of(request), page=SAVED_VIEW_PAGE, name=name)
    view.query = query
    try:
        save_audited(view, actor=request.user)
    except ApplicationError as error:
        for problem in error.problems:
            messages.error(request, f"View not saved: {problem.message}")
    else:
        messages.success(request, f"Saved the view “{name}”.")
    return _back_to_queue(query)


@require_POST
@staff_page(Area.TICKETS)
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    view = (
        SavedView.objects.filter(user=user_of(request), page=SAVED_VIEW_PAGE, pk=pk).first() if pk <= MAX_ID else None
    )
    if view is None:
        raise Http404
    audit.record(actor=request.user, action="delete", instance=view, before=audit.snapshot(view))
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return _back_to_queue("")


@require_POST
@staff_page(Area.TICKETS)
def bulk_action(request: HttpRequest) -> HttpResponse:
    """One action on the ticked tickets — all or nothing (``desk.bulk``), naming each refusal."""
    back = request.POST.get("query", "")
    ids = selected_ids(request.POST.getlist("tickets"))
    if ids is None:
        raise Http404
    if not ids:
        messages.error(request, "Tick the tickets to act on first.")
        return _back_to_queue(back)
    tickets = list(visible_tickets(request.user).filter(pk__in=ids).select_related("assignee__user").order_by("number"))
    if len(tickets) != len(ids):
        raise Http404  # another client's ticket, or none at all: the same answer
    require_edit(request, Area.TICKETS)
    if len(ids) > 200:
        messages.error(request, "Act on at most 200 tickets at once.")
        return _back_to_queue(back)
    form = BulkForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, f"Nothing was changed: {error}")
        return _back_to_queue(back)
    data = form.cleaned_data
    actor, action, reason = request.user, data["action"], data["reason"]
    actions: dict[str, Callable[[Ticket], Any]] = {
        "claim": lambda t: desk.ticket_claim(ticket=t, actor=actor, reason=reason),
        "assign": lambda t: desk.ticket_assign(ticket=t, actor=actor, assignee=data["assignee"], reason=reason),
        "waiting_on_client": lambda t: desk.ticket_set_status(
            ticket=t, actor=actor, status=Status.WAITING_ON_CLIENT, note=reason
        ),
        "waiting_on_vendor": lambda t: desk.ticket_set_status(
            ticket=t, actor=actor, status=Status.WAITING_ON_VENDOR, note=reason
        ),
        "resolve": lambda t: services.ticket_resolve(ticket=t, actor=actor, resolution=data["resolution"]),
    }
    try:
        count = desk.bulk(tickets, actions[action])
    except ApplicationError as error:
        messages.error(
            request,
            f"Nothing was changed: {len(error.problems)} of {len(tickets)} tickets refused “{_bulk_label(action)}”.",
        )
        for problem in error.problems:
            messages.error(request, problem.message)
    else:
        noun = "ticket" if count == 1 else "tickets"
        messages.success(request, f"{_bulk_label(action)}: {count} {noun} done.")
    return _back_to_queue(back)


def _bulk_label(action: str) -> str:
    return dict(BULK_ACTIONS).get(action, action).rstrip("…")


# --- logging a ticket by phone -----------------------------------------------------------------


@staff_page(Area.TICKETS)
def ticket_new(request: HttpRequest) -> HttpResponse:
    """The desk takes a call (or an e-mail) and logs it for a client's person — and may put it
    on the desk at once (``ticket_submit``: all or nothing, R14 named field by field)."""
    require_edit(request, Area.TICKETS)
    initial_client = request.GET.get("client")
    if request.method == "POST":
        form = PhoneTicketForm(request.POST, instance=Ticket(), user=request.user)
        if form.is_valid():
            ticket = form.save(commit=False)
            requester = form.cleaned_data["requester"]
            try:
                saved = services.ticket_submit(
                    ticket=ticket,
                    actor=request.user,
                    escalating_person=requester,
                    escalate=form.cleaned_data["escalate"],
                )
            except ApplicationError as error:
                add_problems(form, error)
            else:
                messages.success(request, _logged_message(saved, escalate=form.cleaned_data["escalate"]))
                return HttpResponseRedirect(reverse("console:ticket", args=[saved.number]))
    else:
        form = PhoneTicketForm(user=request.user, client_id=initial_client, initial={"escalate": True})
    context = {"section": "desk", "form": form, "client": form.client}
    return render(request, "console/desk_new.html", context)


def _logged_message(ticket: Ticket, *, escalate: bool) -> str:
    if ticket.status in DESK_OPEN:
        return f"Logged and escalated #{ticket.number} — {ticket.get_verdict_display()}."
    if escalate and ticket.verdict == Verdict.ROUTE_TO_POC:
        reason = ticket.verdict_reasons[0]["message"] if ticket.verdict_reasons else ""
        return f"Logged #{ticket.number} in the POC's queue: the contract routes it to the POC. {reason}"
    return f"Logged #{ticket.number} in the client's queue."
