"""Firing warning and breach timers exactly once (R16, R17).

The scheduler calls ``fire_due`` every few seconds. Each due timer is claimed and its effects
written in one transaction: its ticket and then the timer are locked ``FOR UPDATE SKIP LOCKED``
on PostgreSQL (the order the ticket services lock in, so no deadlock; a row busy elsewhere waits
for the next sweep, and two sweeps share the work), and the claim is a conditional update
(``fired_at`` still empty), so a second scheduler, a crashed one's successor or a retry finds
nothing left to do. On SQLite the scheduler lease and the database's single writer do the same.
Every effect is a row in that transaction — the clock's event, the ticket's internal event, the
webhook delivery, the queued e-mails, the breach action — so a crash before commit leaves
nothing behind and the next sweep fires the timer, and a crash after commit leaves no timer to
fire again.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone

from comanaged.agreements.selectors import active_agreement
from comanaged.core import audit
from comanaged.core.tasks import send_email
from comanaged.sla.models import BreachAction
from comanaged.sla.selectors import agreement_rules
from comanaged.tenancy.choices import StaffRoleCode
from comanaged.tickets.choices import Status, Tier
from comanaged.tickets.clock import service as clock_service
from comanaged.tickets.clock.models import ClockEvent, ClockTimer, ResponseClock, TimerKind
from comanaged.tickets.events import record
from comanaged.tickets.models import DESK_OPEN, Ticket
from comanaged.tickets.resources import TIER_ORDER

log = logging.getLogger(__name__)
BATCH = 200
# At most this many timers a sweep: the scheduler renews its lease between jobs, so a storm of
# due timers is worked off over several sweeps rather than one that outlives the lease.
SWEEP_LIMIT = 500


def fire_due(now: dt.datetime | None = None, *, batch: int = BATCH, limit: int = SWEEP_LIMIT) -> int:
    """Fire pending timers due by ``now`` (up to ``limit``), a batch per transaction; returns
    how many fired. A timer whose effects fail stays pending for the next sweep, and is not
    claimed again in this one — or a batch of failures would be claimed forever."""
    now = now or timezone.now()
    total, seen = 0, 0
    failed: set[int] = set()
    while seen < limit:
        size = min(batch, limit - seen)
        claimed, fired = _fire_batch(now, size, failed)
        total, seen = total + fired, seen + claimed
        if claimed < size:
            break
    return total


def _fire_batch(now: dt.datetime, batch: int, failed: set[int]) -> tuple[int, int]:
    due = ClockTimer.objects.filter(fired_at__isnull=True, fire_at__isnull=False, fire_at__lte=now)
    if failed:
        due = due.exclude(pk__in=failed)
    candidates = list(due.order_by("fire_at", "id").values_list("pk", "clock__ticket_id")[:batch])
    fired = 0
    for timer_id, ticket_id in candidates:
        try:
            with transaction.atomic():
                fired += _fire(timer_id, ticket_id, now)
        except Exception:  # one bad ticket must not hold back every other timer
            log.exception("SLA timer %s failed; it stays pending", timer_id)
            failed.add(timer_id)
    return len(candidates), fired


def _locked(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """FOR UPDATE SKIP LOCKED where the database has it (PostgreSQL); SQLite has one writer."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True)
    return queryset


def _fire(timer_id: int, ticket_id: int, now: dt.datetime) -> int:
    # Locks in the order the ticket services take them — the ticket, then its clock's timers —
    # so a sweep and a technician's start never deadlock; a row busy elsewhere is skipped and
    # the timer waits for the next sweep.
    if not list(_locked(Ticket.objects.filter(pk=ticket_id)).values_list("pk", flat=True)):
        return 0
    if not list(_locked(ClockTimer.objects.filter(pk=timer_id, fired_at__isnull=True)).values_list("pk", flat=True)):
        return 0  # fired by another sweep, removed by a stop, or being fired right now
    if not ClockTimer.objects.filter(pk=timer_id, fired_at__isnull=True).update(fired_at=now):
        return 0
    timer = ClockTimer.objects.select_related("clock__ticket__client").get(pk=timer_id)
    clock = timer.clock
    if not clock.is_open:
        return 0  # stopped in the same instant; the stop removes pending timers, this one lost the race
    ticket = clock.ticket
    breach = timer.kind == TimerKind.BREACH
    due = clock.due_at.isoformat() if clock.due_at else None
    text = _headline(ticket, clock, breach)
    ClockEvent.objects.create(
        clock=clock, kind="breached" if breach else "warning", at=now, text=text, data={"due_at": due}
    )
    if breach:
        ResponseClock.objects.filter(pk=clock.pk).update(breached_at=now)
    record(
        ticket,
        None,
        "sla_breached" if breach else "sla_warning",
        text=text,
        public=False,
        due_at=due,
        clock=clock.pk,
    )
    _notify_staff(ticket, clock, text)
    if breach:
        _breach_action(ticket)
    return 1


def _headline(ticket: Ticket, clock: ResponseClock, breach: bool) -> str:
    if breach:
        return f"#{ticket.number} ({clock.priority}) missed its respond target: nobody appropriate has started work."
    return f"#{ticket.number} ({clock.priority}) has used {clock.warning_percent}% of its respond target."


def _notify_staff(ticket: Ticket, clock: ResponseClock, text: str) -> None:
    """The dispatchers and the client's strategic advisor, queued in this transaction (the task
    row commits with the timer, so the mail is queued exactly once)."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, staff_profile__roles__code=StaffRoleCode.DISPATCHER)
        .values_list("email", flat=True)
    )
    addresses = {email.lower() for email in users if email}
    agreement = active_agreement(ticket.client_id)
    advisor = getattr(agreement, "strategic_advisor", None)
    if advisor is not None and advisor.user.is_active and advisor.user.email:
        addresses.add(advisor.user.email.lower())
    if not addresses:
        return
    body = render_to_string(
        "tickets/email/sla_alert.txt",
        {
            "ticket": ticket,
            "clock": clock,
            "text": text,
            "url": f"{settings.SITE_URL.rstrip('/')}/console/desk/{ticket.number}/",
        },
    )
    send_email.enqueue(subject=f"[#{ticket.number}] {text}", body=body, to=sorted(addresses))


def _breach_action(ticket: Ticket) -> None:
    """The agreement's escalation on a breach: raise one tier, or back to the dispatch queue."""
    action = agreement_rules(active_agreement(ticket.client_id)).breach_action
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if action == BreachAction.NOTIFY or locked.status not in DESK_OPEN:
        return
    before = audit.snapshot(locked)
    if action == BreachAction.RAISE_TIER:
        if locked.tier not in TIER_ORDER:
            return  # at the vendor (R20): nothing above to raise it to
        position = TIER_ORDER.index(Tier(locked.tier))
        if position + 1 >= len(TIER_ORDER):
            return
        locked.tier, locked.assignee, locked.status = TIER_ORDER[position + 1], None, Status.ESCALATED
        text = f"Response target missed: raised to {locked.get_tier_display()}."
    elif action == BreachAction.RETURN_TO_QUEUE:
        if locked.assignee_id is None:
            return
        locked.assignee, locked.status = None, Status.ESCALATED
        text = "Response target missed: unassigned, back to the dispatch queue."
    else:
        return
    locked.save(update_fields=["tier", "assignee", "status", "updated_at"])
    audit.record(actor=None, action="sla_breach_action", instance=locked, before=before, after=audit.snapshot(locked))
    record(locked, None, "tier_raised" if action == BreachAction.RAISE_TIER else "assigned", text=text, public=False)
    clock_service.status_changed(locked, None, at=timezone.now(), reason=text)
