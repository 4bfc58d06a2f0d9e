"""Search across the knowledge base and tickets (R34): one index, fail-closed per reader."""

from __future__ import annotations

import pytest

from comanaged.core import search
from comanaged.core.models import SearchEntry
from comanaged.kb.choices import Visibility
from comanaged.kb.documents import document_save
from comanaged.kb.models import Article, DocumentTemplate
from comanaged.kb.selectors import search_for, suggestions_for_ticket
from comanaged.kb.services import article_create, article_set_status, article_update
from comanaged.kb.tests.helpers import company, technician
from comanaged.kb.vault import credential_save
from comanaged.tickets.tests.helpers import complete_ticket

pytestmark = pytest.mark.django_db


def titles(results):
    return sorted(result.title for result in results)


def test_r34_each_reader_finds_only_what_they_may_read():
    acme, globex = company(), company()
    desk = technician()
    article_create(actor=acme.poc, client=acme.client, title="Acme printer fix", visibility="end_users", publish=True)
    article_create(actor=acme.poc, client=acme.client, title="Acme printer draft", visibility="end_users")
    article_create(actor=desk, client=acme.client, title="Acme printer desk notes", visibility=Visibility.INTERNAL)
    article_create(
        actor=globex.poc, client=globex.client, title="Globex printer fix", visibility="end_users", publish=True
    )
    article_create(actor=desk, client=None, title="Printer policy", visibility="client", publish=True)
    ticket = complete_ticket(acme.agreement, acme.poc_person, title="Printer jammed on floor 2")

    assert titles(search_for(acme.end_user, "printer")) == ["Acme printer fix"]
    assert titles(search_for(acme.poc, "printer")) == ["Acme printer draft", "Acme printer fix", "Printer policy"]
    assert titles(search_for(globex.poc, "printer")) == ["Globex printer fix", "Printer policy"]
    staff = titles(search_for(desk, "printer"))
    assert f"#{ticket.number} Printer jammed on floor 2" in staff and "Acme printer desk notes" in staff
    assert not search_for(acme.poc, "jammed")  # tickets are searched by staff only


def test_r34_a_stale_index_entry_never_shows_a_row_the_reader_may_no_longer_see():
    acme = company()
    article = article_create(
        actor=acme.poc, client=acme.client, title="Door codes", visibility="end_users", publish=True
    )
    assert titles(search_for(acme.end_user, "door"))
    Article.objects.filter(pk=article.pk).update(visibility=Visibility.CLIENT)  # index not told
    assert search_for(acme.end_user, "door") == []


def test_r34_writes_keep_the_index_in_step():
    acme = company()
    article = article_create(actor=acme.poc, client=acme.client, title="Guest wifi", body="password on the fridge")
    article_update(actor=acme.poc, article=article, title="Guest network", body="ask reception")
    assert titles(search_for(acme.poc, "guest network")) == ["Guest network"]
    assert search_for(acme.poc, "fridge") == []
    article_set_status(actor=acme.poc, article=article, status="archived")
    assert SearchEntry.objects.filter(kind="article", object_id=article.pk).count() == 1

    ticket = complete_ticket(acme.agreement, acme.poc_person, title="Scanner offline")
    ticket.title = "Scanner back online"
    ticket.save()
    assert titles(search_for(technician(), "scanner")) == [f"#{ticket.number} Scanner back online"]


def test_r34_documents_are_searchable_but_their_secrets_are_not():
    acme = company()
    template = DocumentTemplate.objects.get(slug="internet-isp")
    document = document_save(
        actor=acme.poc, client=acme.client, template=template, title="Fibre", values={"isp": "Lumen"}
    )
    credential_save(actor=acme.poc, document=document, name="ISP portal", password="zebra-quantum-42")
    assert titles(search_for(acme.poc, "lumen")) == ["Fibre"]
    assert search_for(acme.poc, "zebra") == []
    assert not SearchEntry.objects.filter(body__contains="zebra").exists()


def test_r34_suggestions_on_the_ticket_form_are_articles_only_and_snippets_are_safe():
    acme = company()
    article_create(
        actor=acme.poc, client=acme.client, title="Outlook keeps asking for a password",
        body="<script>alert(1)</script> Clear the Outlook credential cache.", visibility="client", publish=True,
    )  # fmt: skip
    complete_ticket(acme.agreement, acme.poc_person, title="Outlook password prompt")
    suggestions = suggestions_for_ticket(acme.poc, "outlook password")
    assert [s.kind for s in suggestions] == ["article"]
    assert "<script>" not in suggestions[0].snippet


@pytest.mark.parametrize(
    "text", ["", "   ", '"', "*", "NEAR(", "a OR b)", "\x00", "'; DROP TABLE kb_article; --", "🙂" * 50]
)
def test_garbage_queries_answer_without_error(text):
    acme = company()
    assert isinstance(search_for(acme.poc, text), list)
    assert isinstance(search.search(text, search.Reader(None, search.Audience.STAFF)), list)
