"""Background tasks of the core: e-mail out.

Tasks take plain values (ids, strings), are safe to run twice, and are enqueued on commit so a
rolled-back request never sends anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django_tasks import task


@task(queue_name="email")
def send_email(*, subject: str, body: str, to: list[str], html: str = "", from_email: str | None = None) -> int:
    """Send one message through the configured backend (EMAIL_URL); returns messages sent."""
    message = EmailMultiAlternatives(subject=subject, body=body, to=to, from_email=from_email)
    if html:
        message.attach_alternative(html, "text/html")
    return message.send()


def queue_email(*, subject: str, body: str, to: Sequence[str], html: str = "", from_email: str | None = None) -> None:
    """Send an e-mail in the background once the current transaction commits."""
    recipients = [address for address in to if address]
    if not recipients:
        return
    transaction.on_commit(
        lambda: send_email.enqueue(subject=subject, body=body, to=recipients, html=html, from_email=from_email)
    )
