"""Who may see and do what with tickets — one place, used by the services, pages and the API.

- Provider staff see the tickets of the clients in their scope; the desk roles (technician,
  dispatcher, admin) work them; dispatchers and admins may override a verdict.
- A client's POC sees and manages every ticket of their client (R33).
- An end-user sees only the tickets they asked for or that affect them.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from comanaged.tenancy.access import client_person_of
from comanaged.tenancy.models import Person, StaffProfile
from comanaged.tenancy.permissions import Area, can_edit
from comanaged.tenancy.scoping import is_provider_staff
from comanaged.tickets.fields import EDITABLE_FIELDS, END_USER_FIELDS
from comanaged.tickets.models import Ticket, TicketEvent


def visible_tickets(user: Any, queryset: QuerySet[Ticket] | None = None) -> QuerySet[Ticket]:
    tickets = (queryset if queryset is not None else Ticket.objects.all()).for_user(user)  # type: ignore[attr-defined]
    if is_provider_staff(user):
        return tickets
    person = client_person_of(user)
    if person is None:
        return tickets.none()
    if person.is_poc:
        return tickets
    return tickets.filter(Q(requester=person) | Q(affected_person=person))


def visible_events(user: Any, ticket: Ticket) -> QuerySet[TicketEvent]:
    """Staff read the whole history; the client reads its public part."""
    events = ticket.events.select_related("actor")
    return events if is_provider_staff(user) else events.filter(public=True)


def is_desk(user: Any) -> bool:
    return is_provider_staff(user) and can_edit(user, Area.TICKETS)


def require_desk(user: Any) -> StaffProfile:
    """The actor's staff profile, if their role works the desk; otherwise 403."""
    if not is_desk(user):
        raise PermissionDenied("Only the provider's service desk may do this.")
    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:  # a superuser without a profile
        raise PermissionDenied("Only a member of the provider's staff may do this.")
    return profile


def require_verdict_editor(user: Any) -> None:
    if not (is_provider_staff(user) and can_edit(user, Area.TICKET_VERDICT)):
        raise PermissionDenied("Only a dispatcher or an administrator may change a verdict.")


def client_actor(user: Any, ticket: Ticket) -> Person | None:
    """The client's person acting on this ticket (None for staff); 403 for anyone else."""
    if is_provider_staff(user):
        return None
    person = client_person_of(user)
    if person is None or person.client_id != ticket.client_id:
        raise PermissionDenied
    if not person.is_poc and ticket.requester_id != person.pk and ticket.affected_person_id != person.pk:
        raise PermissionDenied
    return person


def require_poc_or_desk(user: Any, ticket: Ticket, what: str) -> None:
    person = client_actor(user, ticket)
    if person is None:
        require_desk(user)
    elif not person.is_poc:
        raise PermissionDenied(f"Only your POC or the service desk may {what}.")


def editable_fields(user: Any, ticket: Ticket) -> frozenset[str]:
    """What this user may change on the ticket: the desk everything; the client only while the
    ticket is in its own queue — the POC everything, the requester their own description."""
    person = client_actor(user, ticket)
    if person is None:
        require_desk(user)
        return frozenset(EDITABLE_FIELDS)
    if ticket.escalated_at is not None:
        raise PermissionDenied("The service desk now keeps this ticket's details; add a note instead.")
    if person.is_poc:
        return frozenset(EDITABLE_FIELDS)
    if ticket.requester_id == person.pk:
        return frozenset(END_USER_FIELDS)
    raise PermissionDenied("Only your POC or the requester may change this ticket.")
