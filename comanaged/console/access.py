"""Who may open console pages: provider staff whose role opens the area."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from comanaged.tenancy.permissions import Area, can_view
from comanaged.tenancy.scoping import is_provider_staff

View = Callable[..., HttpResponse]


def staff_page(area: Area) -> Callable[[View], View]:
    """Anonymous → sign in; a client's person or a role that cannot view the area → 403.

    Views that change something check ``can_edit`` themselves, after looking the object up in
    scope, so another client's object stays a 404 whatever the caller's role."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not is_provider_staff(request.user) or not can_view(request.user, area):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
