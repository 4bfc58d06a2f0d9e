"""Merging duplicates, and one incident with many child tickets (an outage)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from comanaged.core import audit
from comanaged.core.errors import ApplicationError
from comanaged.tickets.access import require_poc_or_desk
from comanaged.tickets.choices import Status
from comanaged.tickets.clock import service as clock
from comanaged.tickets.errors import TicketErrorCode as Code
from comanaged.tickets.events import record
from comanaged.tickets.models import Ticket
from comanaged.tickets.services import OPEN


def _lock_pair(first: Ticket, second: Ticket) -> tuple[Ticket, Ticket]:
    """Lock both rows in id order (no deadlock between two opposite requests)."""
    if first.pk == second.pk:
        raise ApplicationError(Code.INVALID_RELATION, "A ticket cannot be related to itself.", field="ticket")
    rows = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first.pk, second.pk]).order_by("pk")}
    a, b = rows[first.pk], rows[second.pk]
    if a.client_id != b.client_id:
        raise ApplicationError(Code.WRONG_CLIENT, "Both tickets must belong to the same client.", field="ticket")
    return a, b


def ticket_merge(*, source: Ticket, target: Ticket, actor: Any) -> Ticket:
    """Merge a duplicate into another ticket: the duplicate is closed and points at the target,
    its children move over, and both histories say so."""
    require_poc_or_desk(actor, source, "merge tickets")
    with transaction.atomic():
        duplicate, keeper = _lock_pair(source, target)
        if duplicate.status not in OPEN or keeper.status not in OPEN:
            raise ApplicationError(Code.INVALID_RELATION, "Only open tickets can be merged.", field="ticket")
        if keeper.parent_id == duplicate.pk:
            raise ApplicationError(
                Code.INVALID_RELATION,
                f"#{keeper.number} is a child of #{duplicate.number}; merge the other way.",
                field="ticket",
            )
        if keeper.parent_id is not None and Ticket.objects.filter(parent=duplicate).exists():
            raise ApplicationError(
                Code.INVALID_RELATION,
                f"#{duplicate.number} has child tickets and #{keeper.number} is itself a child; "
                "merge into the incident instead.",
                field="ticket",
            )
        before = audit.snapshot(duplicate)
        Ticket.objects.filter(parent=duplicate).update(parent=keeper)
        now = timezone.now()
        duplicate.status, duplicate.merged_into, duplicate.closed_at = Status.CLOSED, keeper, now
        duplicate.parent = None
        duplicate.save(update_fields=["status", "merged_into", "closed_at", "parent", "updated_at"])
        audit.record(actor=actor, action="merge", instance=duplicate, before=before, after=audit.snapshot(duplicate))
        record(duplicate, actor, "merged_into", text=f"Merged into #{keeper.number}.", into=keeper.pk)
        clock.closed(duplicate, actor, at=now, reason=f"Merged into #{keeper.number}.")
        # Numbers only in the text: an end-user may see one of the two tickets and not the other.
        record(keeper, actor, "merged", text=f"#{duplicate.number} was merged into this ticket.", merged=duplicate.pk)
    return keeper


def ticket_set_parent(*, child: Ticket, parent: Ticket | None, actor: Any) -> Ticket:
    """Make a ticket a child of one incident (one level deep), or detach it. Resolving the
    parent resolves its open children."""
    require_poc_or_desk(actor, child, "link tickets")
    with transaction.atomic():
        if parent is None:
            locked = Ticket.objects.select_for_update().get(pk=child.pk)
            if locked.parent_id is None:
                return locked
            before = audit.snapshot(locked)
            locked.parent = None
            locked.save(update_fields=["parent", "updated_at"])
            audit.record(actor=actor, action="unlink", instance=locked, before=before, after=audit.snapshot(locked))
            record(locked, actor, "unlinked", text="No longer part of an incident.")
            return locked
        locked, incident = _lock_pair(child, parent)
        if incident.parent_id is not None:
            raise ApplicationError(
                Code.INVALID_RELATION, f"#{incident.number} is itself a child ticket.", field="parent"
            )
        if Ticket.objects.filter(parent=locked).exists():
            raise ApplicationError(
                Code.INVALID_RELATION, f"#{locked.number} already has child tickets.", field="parent"
            )
        if locked.parent_id == incident.pk:
            return locked
        before = audit.snapshot(locked)
        locked.parent = incident
        locked.save(update_fields=["parent", "updated_at"])
        audit.record(actor=actor, action="link", instance=locked, before=before, after=audit.snapshot(locked))
        record(locked, actor, "linked", text=f"Part of incident #{incident.number}.", parent=incident.pk)
    return locked
