"""Article attachments share the deduplicated file store with ticket attachments."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from comanaged.core.errors import ApplicationError
from comanaged.kb.models import ArticleAttachment
from comanaged.kb.services import article_attach, article_attachment_delete, article_create
from comanaged.kb.tests.helpers import company
from comanaged.tickets import conversation
from comanaged.tickets.tests.helpers import complete_ticket

pytestmark = pytest.mark.django_db

CONTENT = b"the same log lines\n"


def stored(root):
    return [p for p in root.rglob("*") if p.is_file()]


def test_r34_a_file_an_article_and_a_ticket_share_survives_until_the_last_one_lets_go(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.FILES_DIR = tmp_path
    acme = company()
    article = article_create(actor=acme.poc, client=acme.client, title="Known error")
    attachment = article_attach(actor=acme.poc, article=article, upload=SimpleUploadedFile("log.txt", CONTENT))
    ticket = complete_ticket(acme.agreement, acme.poc_person)
    conversation.ticket_add_note(
        ticket=ticket, actor=acme.poc, text="log", uploads=[SimpleUploadedFile("same.txt", CONTENT)]
    )
    assert len(stored(tmp_path)) == 1  # one copy of identical content

    with django_capture_on_commit_callbacks(execute=True):  # stored bytes are removed on commit
        article_attachment_delete(actor=acme.poc, attachment=attachment)
    assert len(stored(tmp_path)) == 1  # the ticket still refers to it

    refused = [SimpleUploadedFile("again.txt", CONTENT), SimpleUploadedFile("tool.exe", b"MZ" + b"\x00" * 64)]
    with pytest.raises(ApplicationError):
        conversation.ticket_add_note(ticket=ticket, actor=acme.poc, text="x", uploads=refused)
    assert len(stored(tmp_path)) == 1  # a refused note never deletes a file others use


def test_an_executable_is_refused_and_leaves_no_row(settings, tmp_path):
    settings.FILES_DIR = tmp_path
    acme = company()
    article = article_create(actor=acme.poc, client=acme.client, title="Tools")
    with pytest.raises(ApplicationError):
        article_attach(actor=acme.poc, article=article, upload=SimpleUploadedFile("x.exe", b"MZ" + b"\x00" * 64))
    assert not ArticleAttachment.objects.exists() and stored(tmp_path) == []
