"""The knowledge-base pages, written once and mounted twice: in the client portal
(``/portal/docs/…``, names ``portal:kb_*``) for POCs and end-users, and in the provider console
(``/console/kb/…``, names ``console:kb_*``) for staff. A :class:`Desk` tells a view which side it
serves, which client it is about and which base template to extend; access itself is always
``kb.access`` (fail-closed), whatever the side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from comanaged.kb import access
from comanaged.tenancy.access import client_person_of, parse_id
from comanaged.tenancy.models import Client, Person
from comanaged.tenancy.permissions import Area, can_view
from comanaged.tenancy.scoping import is_provider_staff

PORTAL = "portal"
CONSOLE = "console"
View = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Desk:
    """Where a knowledge-base page is shown.

    ``client``: on the portal always the person's client; on the console the client a page is
    about (``?client=<id>`` or the object's client), or None for provider-wide pages."""

    side: str
    user: Any
    person: Person | None
    client: Client | None

    @property
    def is_portal(self) -> bool:
        return self.side == PORTAL

    @property
    def base_template(self) -> str:
        return "portal/base.html" if self.is_portal else "console/base.html"

    @property
    def section(self) -> str:
        return "kb"

    def url(self, name: str, *args: Any, query: str = "") -> str:
        """``desk.url("article", 12)`` → ``/portal/docs/articles/12/`` or ``/console/kb/articles/12/``."""
        path = reverse(f"{self.side}:kb_{name}", args=args)
        return f"{path}?{query}" if query else path

    def context(self, **extra: Any) -> dict[str, Any]:
        """What every knowledge-base template gets (``base_template``, ``desk``, nav section)."""
        return {
            "desk": self,
            "base_template": self.base_template,
            "section": "kb",
            "person": self.person,
            "client": self.client,
            **extra,
        }

    def with_client(self, client: Client | None) -> Desk:
        return Desk(self.side, self.user, self.person, client)

    def client_query(self, client: Client | None = None) -> str:
        """``client=<id>`` on the console (which client a page is about); nothing on the portal,
        which has one client. ``client`` defaults to the desk's."""
        client = client if client is not None else self.client
        return f"client={client.pk}" if client is not None and not self.is_portal else ""

    def tabs(self) -> dict[str, str]:
        """The knowledge base's tabs (``kb/_nav.html``); the environment only for a client's
        POCs and for staff with a client chosen."""
        query = self.client_query()
        environment = self.client is not None and (not self.is_portal or bool(self.person and self.person.is_poc))
        return {
            "home": self.url("home", query=query),
            "all_clients": self.url("home"),
            "search": self.url("search"),
            "new": self.url("article_new", query=query),
            "environment": self.url("environment", query=query) if environment else "",
        }

    def render(self, request: HttpRequest, template_name: str, **context: Any) -> HttpResponse:
        return render(
            request, template_name, self.context(links=self.tabs(), client_query=self.client_query(), **context)
        )


def _console_client(request: HttpRequest) -> Client | None:
    """The client named by ``?client=`` if the staff user may see it; a foreign one is a 404.
    Only the query string: reading ``request.POST`` here would parse an upload before the view
    installs its size-limited upload handler (forms post back to their URL, query included)."""
    raw = request.GET.get("client")
    if not raw:
        return None
    pk = parse_id(raw)
    client = Client.objects.for_user(request.user).filter(pk=pk).first() if pk else None
    if client is None:
        raise Http404
    return client


def kb_page(side: str) -> Callable[[View], View]:
    """Anonymous → sign in. Portal: an active person of an active client (staff get 403).
    Console: provider staff whose role opens the knowledge base (a client's person gets 403)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if side == PORTAL:
                person = client_person_of(user)
                if person is None or not person.client.is_active or is_provider_staff(user):
                    raise PermissionDenied
                desk = Desk(PORTAL, user, person, person.client)
                with timezone.override(ZoneInfo(person.client.time_zone)):
                    return view(request, desk, *args, **kwargs)
            if not is_provider_staff(user) or not can_view(user, Area.KNOWLEDGE):
                raise PermissionDenied
            return view(request, Desk(CONSOLE, user, None, _console_client(request)), *args, **kwargs)

        return wrapped

    return decorator


def require_editor_of(desk: Desk, client: Client | None) -> None:
    if not access.may_write_for(desk.user, client):
        raise PermissionDenied("You may not write documentation here.")
