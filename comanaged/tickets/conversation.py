"""The conversation on a ticket: notes (public or internal) with files, the client confirming a
resolution, and reopening."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from comanaged.core import audit, files
from comanaged.core.errors import ApplicationError
from comanaged.tickets.access import client_actor, require_desk, require_poc_or_desk
from comanaged.tickets.choices import Status
from comanaged.tickets.clock import service as clock
from comanaged.tickets.errors import TicketErrorCode as Code
from comanaged.tickets.events import record
from comanaged.tickets.models import Ticket, TicketAttachment, TicketEvent

MAX_NOTE_CHARS = 20_000
MAX_FILES_PER_NOTE = 10


def ticket_add_note(
    *,
    ticket: Ticket,
    actor: Any,
    text: str,
    public: bool = True,
    uploads: Sequence[UploadedFile] = (),
) -> TicketEvent:
    """Add a note, with files. The client's notes are always public; an internal note is for
    the provider's staff only. A client answering a ticket that waits on them puts it back in
    progress. Notes are stored as text and always rendered escaped."""
    person = client_actor(actor, ticket)
    if person is None:
        require_desk(actor)
    else:
        public = True
    text = text.strip()
    if not text and not uploads:
        raise ApplicationError(Code.TEXT_REQUIRED, "Write a note or attach a file.", field="text")
    if len(text) > MAX_NOTE_CHARS:
        raise ApplicationError("too_long", f"A note holds at most {MAX_NOTE_CHARS:,} characters.", field="text")
    if len(uploads) > MAX_FILES_PER_NOTE:
        raise ApplicationError(
            Code.TOO_MANY_FILES, f"Attach at most {MAX_FILES_PER_NOTE} files at once.", field="files"
        )
    if ticket.merged_into_id:
        raise ApplicationError(Code.NOT_OPEN, "This ticket was merged; add the note to the ticket it was merged into.")
    stored: list[files.StoredFile] = []
    try:
        for upload in uploads:
            stored.append(files.store_upload(upload, max_bytes=settings.ATTACHMENT_MAX_BYTES))
        return _add_note(ticket, actor, person, text, public, stored)
    except BaseException:
        _forget_unreferenced(stored)  # a refused note leaves no file behind
        raise


def _forget_unreferenced(stored: Sequence[files.StoredFile]) -> None:
    files.forget_unreferenced(item.key for item in stored)


def _add_note(
    ticket: Ticket, actor: Any, person: Any, text: str, public: bool, stored: Sequence[files.StoredFile]
) -> TicketEvent:
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        attachments = [
            TicketAttachment.objects.create(
                ticket=locked,
                key=f.key,
                name=f.name,
                size=f.size,
                content_type=f.content_type,
                public=public,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            for f in stored
        ]
        event = record(
            locked,
            actor,
            "note",
            text=text,
            public=public,
            attachments=[a.pk for a in attachments],
        )
        if person is not None and locked.status == Status.WAITING_ON_CLIENT:
            before = audit.snapshot(locked)
            locked.status = Status.IN_PROGRESS
            locked.save(update_fields=["status", "updated_at"])
            audit.record(
                actor=actor, action="client_replied", instance=locked, before=before, after=audit.snapshot(locked)
            )
            record(
                locked,
                actor,
                "status",
                text="The client answered; back in progress.",
                status=locked.status,
                notify=False,
            )
            clock.status_changed(locked, actor, at=timezone.now(), reason="The client answered.")
    return event


def ticket_confirm(*, ticket: Ticket, actor: Any) -> Ticket:
    """The client confirms the resolution: the ticket is closed (the desk may close it for them)."""
    if client_actor(actor, ticket) is None:
        require_desk(actor)
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status != Status.RESOLVED:
            raise ApplicationError(Code.INVALID_TRANSITION, "Only a resolved ticket can be confirmed.", field="status")
        before = audit.snapshot(locked)
        locked.status, locked.closed_at = Status.CLOSED, timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        audit.record(actor=actor, action="close", instance=locked, before=before, after=audit.snapshot(locked))
        record(locked, actor, "closed", text="Resolution confirmed; ticket closed.")
    ticket.refresh_from_db()
    return ticket


def ticket_reopen(*, ticket: Ticket, actor: Any, reason: str) -> Ticket:
    """Reopen a resolved or closed ticket. One that had been escalated goes straight back to the
    desk with a new escalation time — a new response clock, the old ones kept; one the POC
    handled returns to the POC's queue."""
    require_poc_or_desk(actor, ticket, "reopen a ticket")
    if not reason.strip():
        raise ApplicationError(Code.REASON_REQUIRED, "Say why the ticket is reopened.", field="reason")
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if locked.status not in (Status.RESOLVED, Status.CLOSED) or locked.merged_into_id:
            raise ApplicationError(
                Code.INVALID_TRANSITION, "Only a resolved or closed ticket can be reopened.", field="status"
            )
        before = audit.snapshot(locked)
        locked.resolved_at = locked.closed_at = None
        locked.resolution = ""
        if locked.escalated_at is not None:
            locked.status, locked.escalated_at, locked.work_started_at = Status.ESCALATED, timezone.now(), None
            locked.assignee = None
        else:
            locked.status = Status.NEW
        locked.save()
        if locked.escalated_at is not None:
            clock.start(locked, actor)  # a new clock; the earlier ones stay in the history
        audit.record(actor=actor, action="reopen", instance=locked, before=before, after=audit.snapshot(locked))
        record(locked, actor, "reopened", text=reason.strip())
    ticket.refresh_from_db()
    return ticket


def ensure_may_read_attachment(user: Any, attachment: TicketAttachment) -> None:
    """Internal files are staff-only (the ticket itself is already scoped by the caller)."""
    if not attachment.public and client_actor(user, attachment.ticket) is not None:
        raise PermissionDenied
