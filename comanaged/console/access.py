"""Who may open console pages: provider staff whose role opens the area."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from comanaged.tenancy.permissions import Area, can_edit, can_view
from comanaged.tenancy.scoping import is_provider_staff

View = Callable[..., HttpResponse]


def staff_page(area: Area, *, edit: bool = False) -> Callable[[View], View]:
    """Anonymous → sign in; a client's person or a role without the area → 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            allowed = can_edit if edit else can_view
            if not is_provider_staff(request.user) or not allowed(request.user, area):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
