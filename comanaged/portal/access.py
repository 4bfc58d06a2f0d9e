"""Who may open portal pages: a signed-in, active person of an active client."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from comanaged.tenancy.models import Person

View = Callable[..., HttpResponse]


def client_person(user: Any) -> Person | None:
    person = Person.objects.select_related("client").filter(user=user, is_active=True, client__is_active=True).first()
    return person


def portal_page(view: View) -> View:
    """Anonymous → sign in; provider staff or a user without a person → 403."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        person = client_person(request.user)
        if person is None:
            raise PermissionDenied
        # Times read in the client's own zone (the calendar the contract is written in).
        with timezone.override(ZoneInfo(person.client.time_zone)):
            return view(request, person, *args, **kwargs)

    return wrapped
