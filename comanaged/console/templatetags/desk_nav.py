"""The console's desk badge: how many escalated tickets no one has taken yet."""

from __future__ import annotations

from typing import Any

from django import template

from comanaged.tenancy.scoping import is_provider_staff
from comanaged.tickets.access import visible_tickets

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_unassigned(context: dict[str, Any]) -> str:
    """Unassigned tickets on the desk of the clients the signed-in staff member may see ("" for
    none, "999+" past the cap, like the desk's own counters)."""
    known = context.get("desk_unassigned_count")
    if known is not None:  # the desk's own page has just counted them
        return str(known)
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not is_provider_staff(user):
        return ""
    from comanaged.console.desk import capped_count

    return capped_count(visible_tickets(user).filter(on_desk=True, assignee__isnull=True))
