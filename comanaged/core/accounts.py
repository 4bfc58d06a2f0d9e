"""Sign-in glue: the allauth adapter (no self sign-up, mail through tasks) and axes' username."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest

from comanaged.core.tasks import queue_email


class AccountAdapter(DefaultAccountAdapter):
    """People get accounts from the provider; nobody signs themselves up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Render allauth's messages as usual, send them from the background worker."""
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = str(content)
        queue_email(subject=message.subject, body=str(message.body), to=[email], html=html)


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The account a log-in attempt was for: allauth sends ``email``, its form posts ``login``."""
    credentials = credentials or {}
    value = credentials.get("email") or credentials.get("username") or request.POST.get("login", "")
    return str(value).strip().lower()
