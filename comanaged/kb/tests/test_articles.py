"""Articles (R34): versions, publishing, visibility, validation — through the services."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from comanaged.core.errors import ApplicationError
from comanaged.core.models import AuditEntry
from comanaged.kb import access
from comanaged.kb.choices import ArticleStatus, Visibility
from comanaged.kb.models import Article, ArticleVersion
from comanaged.kb.selectors import readable_version
from comanaged.kb.services import (
    BODY_MAX,
    article_create,
    article_links_set,
    article_restore,
    article_set_status,
    article_update,
)
from comanaged.kb.tests.helpers import company, technician
from comanaged.tickets.tests.helpers import complete_ticket

pytestmark = pytest.mark.django_db


def test_r34_a_poc_documents_and_publishes_an_article_for_everyone_at_the_client():
    acme = company()
    article = article_create(
        actor=acme.poc, client=acme.client, title="Printing from home", body="1. Open **VPN**", visibility="end_users"
    )
    assert article.status == ArticleStatus.DRAFT and article.current_version.number == 1
    assert not access.visible_articles(acme.end_user).filter(pk=article.pk).exists()  # a draft is for editors
    assert access.visible_articles(acme.poc).filter(pk=article.pk).exists()

    article = article_set_status(actor=acme.poc, article=article, status=ArticleStatus.PUBLISHED)
    assert access.visible_articles(acme.end_user).filter(pk=article.pk).exists()
    assert readable_version(acme.end_user, article).body == "1. Open **VPN**"
    assert AuditEntry.objects.filter(object_type="kb.article", object_id=str(article.pk)).count() == 2


def test_r34_an_edit_adds_a_version_readers_keep_the_published_one_until_publishing():
    acme = company()
    article = article_create(
        actor=acme.poc, client=acme.client, title="Wi-Fi", body="SSID: acme", visibility="end_users", publish=True
    )
    article_update(actor=acme.poc, article=article, body="SSID: acme-staff", note="new SSID")
    article.refresh_from_db()
    assert article.current_version.number == 2 and article.has_unpublished_changes
    assert readable_version(acme.end_user, article).body == "SSID: acme"  # readers: the published text
    assert readable_version(acme.poc, article).body == "SSID: acme-staff"  # editors: the newest

    article_update(actor=acme.poc, article=article, body="SSID: acme-staff")  # nothing changed: no version
    assert article.versions.count() == 2


def test_r34_restore_adds_a_version_and_keeps_the_whole_history():
    acme = company()
    article = article_create(actor=acme.poc, client=acme.client, title="VPN", body="old steps")
    article_update(actor=acme.poc, article=article, title="VPN access", body="new steps")
    article_restore(actor=acme.poc, article=article, number=1)
    article.refresh_from_db()
    versions = list(article.versions.order_by("number").values_list("number", "title", "body", "note"))
    assert versions == [
        (1, "VPN", "old steps", "Created"),
        (2, "VPN access", "new steps", ""),
        (3, "VPN", "old steps", "Restored version 1"),
    ]
    assert article.title == "VPN"


def test_r34_an_edit_from_an_old_version_is_refused_instead_of_overwriting_a_colleague():
    acme = company()
    article = article_create(actor=acme.poc, client=acme.client, title="Backups", body="v1")
    article_update(actor=technician(), article=article, body="v2 by the desk", base_version=1)
    with pytest.raises(ApplicationError) as caught:
        article_update(actor=acme.poc, article=article, body="v2 by the POC", base_version=1)
    assert caught.value.code == "version_conflict"
    assert list(article.versions.values_list("body", flat=True).order_by("number")) == ["v1", "v2 by the desk"]


def test_r34_a_poc_cannot_write_provider_only_or_provider_wide_articles_nor_edit_internal_ones():
    acme = company()
    with pytest.raises(ApplicationError) as caught:
        article_create(actor=acme.poc, client=acme.client, title="Secret", visibility=Visibility.INTERNAL)
    assert caught.value.code == "visibility_not_allowed"
    with pytest.raises(PermissionDenied):
        article_create(actor=acme.poc, client=None, title="For every client")
    internal = article_create(actor=technician(), client=acme.client, title="Desk notes", visibility="internal")
    assert not access.visible_articles(acme.poc).filter(pk=internal.pk).exists()
    with pytest.raises(PermissionDenied):
        article_update(actor=acme.poc, article=internal, body="mine now")
    with pytest.raises(PermissionDenied):
        article_create(actor=acme.end_user, client=acme.client, title="End-users only read")
    assert Article.objects.count() == 1


def test_r34_provider_wide_articles_are_read_only_to_clients_and_shown_once_published():
    acme = company()
    desk = technician()
    shared = article_create(actor=desk, client=None, title="How we handle phishing", visibility="client")
    assert not access.visible_articles(acme.poc).filter(pk=shared.pk).exists()  # a draft
    article_set_status(actor=desk, article=shared, status="published")
    assert access.visible_articles(acme.poc).filter(pk=shared.pk).exists()
    assert not access.visible_articles(acme.end_user).filter(pk=shared.pk).exists()  # POCs only
    assert not access.may_edit_article(acme.poc, shared)
    with pytest.raises(PermissionDenied):
        article_update(actor=acme.poc, article=shared, body="changed")


def test_r34_another_clients_articles_are_invisible():
    acme, globex = company(), company()
    article = article_create(
        actor=acme.poc, client=acme.client, title="Acme only", visibility="end_users", publish=True
    )
    assert not access.visible_articles(globex.poc).filter(pk=article.pk).exists()
    assert not access.visible_articles(globex.end_user).filter(pk=article.pk).exists()
    assert not access.may_edit_article(globex.poc, article)


def test_oversized_bodies_blank_titles_and_bad_tags_are_refused_and_nothing_is_saved():
    acme = company()
    for fields, code in [
        ({"title": "Big", "body": "x" * (BODY_MAX + 1)}, "too_large"),
        ({"title": "   "}, "invalid"),
        ({"title": "t" * 201}, "too_large"),
        ({"title": "Tags", "tags": ["<script>"]}, "invalid"),
        ({"title": "Tags", "tags": [f"t{i}" for i in range(21)]}, "invalid"),
    ]:
        with pytest.raises(ApplicationError) as caught:
            article_create(actor=acme.poc, client=acme.client, **fields)
        assert caught.value.code == code
    assert not Article.objects.exists() and not ArticleVersion.objects.exists()


def test_tags_are_normalised_and_shared():
    acme = company()
    article = article_create(actor=acme.poc, client=acme.client, title="T", tags=["VPN", " vpn ", "Remote  Work"])
    assert sorted(article.tags.values_list("name", flat=True)) == ["remote work", "vpn"]


def test_r34_links_reach_only_the_clients_own_tickets():
    acme, globex = company(), company()
    own = complete_ticket(acme.agreement, acme.poc_person)
    foreign = complete_ticket(globex.agreement, globex.poc_person)
    article = article_create(actor=acme.poc, client=acme.client, title="Known issue")
    with pytest.raises(ApplicationError) as caught:
        article_links_set(actor=acme.poc, article=article, ticket_ids=[own.pk, foreign.pk])
    assert caught.value.code == "not_found"
    assert not article.tickets.exists()
    article_links_set(actor=acme.poc, article=article, ticket_ids=[own.pk])
    assert list(article.tickets.all()) == [own]


def test_r34_versions_written_while_provider_only_stay_hidden_after_sharing():
    acme = company()
    desk = technician()
    article = article_create(
        actor=desk, client=acme.client, title="Firewall", body="INTERNAL notes", visibility="internal"
    )
    article = article_update(actor=desk, article=article, visibility="client")  # shared, text unchanged
    from comanaged.kb.services import visible_versions

    assert [v.number for v in visible_versions(acme.poc, article)] == [2]  # a fresh version, readable
    assert [v.number for v in visible_versions(desk, article)] == [2, 1]
    with pytest.raises(ApplicationError) as caught:
        article_restore(actor=acme.poc, article=article, number=1)
    assert caught.value.code == "not_found"
