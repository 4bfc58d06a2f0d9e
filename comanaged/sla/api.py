"""REST endpoints of response-time terms (R16, R9, R13) per agreement, and of attainment
(R16–R19) for the provider's staff.

Reading the terms follows the agreement (staff in scope, the client's POC); changing them needs
a role that may edit agreements. Attainment reads the clocks of ``tickets.clock`` (this module is
an adapter on top, like every ``api.py``), only of the clients in the caller's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router

from comanaged.agreements.choices import Priority
from comanaged.agreements.models import Agreement
from comanaged.agreements.policy import RESPOND_TARGETS
from comanaged.core.errors import ApplicationError, CoreErrorCode
from comanaged.sla import services
from comanaged.sla.models import Clock, ResponseTarget, ResponseTerms
from comanaged.sla.schemas import (
    AttainmentOut,
    AttainmentQuery,
    PriorityCode,
    ResponseTargetIn,
    ResponseTargetOut,
    ResponseTermsIn,
    ResponseTermsOut,
)
from comanaged.tenancy.access import ensure_edit, ensure_view, referenced, scoped_or_404
from comanaged.tenancy.models import Client, ProviderSettings, StaffProfile, Vertical
from comanaged.tenancy.permissions import Area, can_view
from comanaged.tenancy.scoping import client_scope, is_provider_staff
from comanaged.tenancy.validators import validate_time_zone
from comanaged.tickets.clock.attainment import Attainment, attainment, clocks_between, overall

router = Router(tags=["Response terms"])

MAX_PERIOD = dt.timedelta(days=400)
NOT_RETARGETED = (
    "Terms apply to clocks started after the change: running clocks are not re-targeted (a later change of "
    "the ticket itself — priority, affected person — re-reads them)."
)


def _agreement(request: HttpRequest, agreement_id: int, *, edit: bool = False) -> Agreement:
    """The agreement if the caller may see it (else 404, like a missing one), then the role."""
    if edit:
        agreement: Agreement = scoped_or_404(Agreement.objects, request.user, agreement_id)
        ensure_edit(request, Area.AGREEMENTS)
        return agreement
    ensure_view(request, Area.AGREEMENTS)
    return scoped_or_404(Agreement.objects, request.user, agreement_id)


def _default_target(priority: str) -> dict[str, Any]:
    return {
        "priority": priority,
        "respond_minutes": int(RESPOND_TARGETS[priority].total_seconds() // 60),
        "vip_respond_minutes": None,
        "resolve_minutes": None,
        "clock": Clock.AROUND_THE_CLOCK.value,
        "default": True,
    }


def _target_out(target: ResponseTarget) -> dict[str, Any]:
    return {
        "priority": target.priority,
        "respond_minutes": target.respond_minutes,
        "vip_respond_minutes": target.vip_respond_minutes,
        "resolve_minutes": target.resolve_minutes,
        "clock": target.clock,
        "default": False,
    }


@router.get(
    "/agreements/{agreement_id}/response-targets",
    response=list[ResponseTargetOut],
    summary="Respond targets per priority (R16, R9, R13)",
    description="All four priorities; a priority the agreement sets nothing for shows the R16 default "
    "(`default: true`, 24x7 clock).",
)
def list_targets(request: HttpRequest, agreement_id: int) -> Any:
    agreement = _agreement(request, agreement_id)
    rows = {row.priority: row for row in ResponseTarget.objects.filter(agreement=agreement)}
    return [_target_out(rows[p]) if p in rows else _default_target(p) for p in Priority.values]


@router.put(
    "/agreements/{agreement_id}/response-targets/{priority}",
    response=ResponseTargetOut,
    summary="Set one priority's targets (R16, R9, R13)",
    description="Minutes are 1 … 43,200 (30 days). The business-hours clock is refused while the client has no "
    "business hours. Audited. " + NOT_RETARGETED,
)
def set_target(request: HttpRequest, agreement_id: int, priority: PriorityCode, payload: ResponseTargetIn) -> Any:
    agreement = _agreement(request, agreement_id, edit=True)
    target = services.response_target_set(agreement=agreement, priority=priority, actor=request.user, **payload.dict())
    return _target_out(target)


@router.delete(
    "/agreements/{agreement_id}/response-targets/{priority}",
    response=ResponseTargetOut,
    summary="Return one priority to the R16 default",
    description="Answers the target that applies now (the default). Audited. " + NOT_RETARGETED,
)
def reset_target(request: HttpRequest, agreement_id: int, priority: PriorityCode) -> Any:
    agreement = _agreement(request, agreement_id, edit=True)
    services.response_target_reset(agreement=agreement, priority=priority, actor=request.user)
    return _default_target(priority)


def _terms_out(terms: ResponseTerms | None) -> dict[str, Any]:
    row = terms if terms is not None else ResponseTerms()
    return {
        **{name: getattr(row, name) for name in services.TERMS_FIELDS},
        "default": terms is None,
    }


@router.get(
    "/agreements/{agreement_id}/response-terms",
    response=ResponseTermsOut,
    summary="How the respond clock behaves: warning, pauses, breach action",
    description="An agreement without terms uses the defaults (`default: true`): warn at 75 %, no pauses, notify only.",
)
def get_terms(request: HttpRequest, agreement_id: int) -> Any:
    agreement = _agreement(request, agreement_id)
    return _terms_out(ResponseTerms.objects.filter(agreement=agreement).first())


@router.put(
    "/agreements/{agreement_id}/response-terms",
    response=ResponseTermsOut,
    summary="Set how the respond clock behaves",
    description="A field left out takes its default. The warning share is 1 … 99 %. Audited. " + NOT_RETARGETED,
)
def set_terms(request: HttpRequest, agreement_id: int, payload: ResponseTermsIn) -> Any:
    agreement = _agreement(request, agreement_id, edit=True)
    return _terms_out(services.response_terms_set(agreement=agreement, actor=request.user, **payload.dict()))


# --- attainment ----------------------------------------------------------------------------------


def _zone(name: str | None) -> str:
    zone = name or ProviderSettings.load().time_zone
    try:
        validate_time_zone(zone)
    except ValidationError as error:
        message = f"{zone} is not a known IANA time zone (for example America/New_York)."
        raise ApplicationError("unknown_time_zone", message, field="time_zone") from error
    return zone


def _instant(value: dt.datetime | dt.date, zone: str) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC)
    return dt.datetime.combine(value, dt.time(0), tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


def _labels(by: str | None, keys: set[Any]) -> dict[Any, str]:
    ids = [key for key in keys if isinstance(key, int)]
    if by == "client":
        return dict(Client.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "vertical":
        return {**dict(Vertical.objects.filter(pk__in=ids).values_list("pk", "name")), None: "No vertical"}
    if by == "technician":
        names = StaffProfile.objects.filter(pk__in=ids).values_list("pk", "user__full_name")
        return {**dict(names), None: "No response"}
    if by == "priority":
        return {key: Priority(key).label for key in keys if key in Priority.values} | {"": "No priority"}
    return {}


def _row(row: Attainment, labels: dict[Any, str]) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": labels.get(row.key, "All" if row.key is None else str(row.key)),
        "met": row.met,
        "missed": row.missed,
        "excluded": row.excluded,
        "open": row.open,
        "cancelled": row.cancelled,
        "measured": row.measured,
        "rate": row.rate,
        "median_seconds": row.median_seconds,
        "p90_seconds": row.p90_seconds,
    }


@router.get(
    "/sla/attainment",
    response=AttainmentOut,
    by_alias=True,
    tags=["Response-time attainment"],
    summary="Met, missed and excluded respond targets (R16–R19)",
    description=(
        "Clocks started (escalations made) in [`from`, `to`), at most 400 days, of the clients in the caller's "
        "scope — provider staff only. Each row counts *met*, *missed* (late, or still open past its deadline), "
        "*excluded* (no target applied: R18, R19, billable or out-of-scope work), *open* and *cancelled* clocks, "
        "with the share met and the time to respond (business seconds, pauses left out)."
    ),
)
def get_attainment(request: HttpRequest, query: Query[AttainmentQuery]) -> Any:
    user = request.user
    if not (is_provider_staff(user) and can_view(user, Area.TICKETS)):
        raise PermissionDenied("Attainment is for the provider's staff.")
    zone = _zone(query.time_zone)
    start, end = _instant(query.start, zone), _instant(query.end, zone)
    if start >= end:
        raise ApplicationError(CoreErrorCode.INVALID, "`from` must be before `to`.", field="to")
    if end - start > MAX_PERIOD:
        raise ApplicationError(CoreErrorCode.INVALID, "The period is at most 400 days; ask for less.", field="to")
    clients: list[int] | None
    if query.client_id is not None:
        clients = [referenced(Client.objects, user, query.client_id, "client_id").pk]
    else:
        scope = client_scope(user)
        clients = None if scope.all_clients else sorted(scope.client_ids)
    clocks = clocks_between(start, end, clients)
    if query.priority is not None:
        clocks = clocks.filter(priority=query.priority)
    now = timezone.now()
    rows = attainment(clocks, by=query.by, time_zone=zone, now=now) if query.by else []
    labels = _labels(query.by, {row.key for row in rows})
    return {
        "start": start,
        "end": end,
        "by": query.by,
        "time_zone": zone,
        "overall": _row(overall(clocks, time_zone=zone, now=now), {}),
        "rows": [_row(row, labels) for row in rows],
    }
