"""The knowledge-base article pages (R34), on both desks: isolation on every page (anonymous,
wrong role, another client's user), what each reader sees (a POC their client's docs and
published provider-wide ones, an end-user only what is published to everyone), writes through
the services (refusals shown, nothing saved), history and diffs, attachments, search and the
suggestions beside the new-ticket form (R33), and text rendered inert."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from comanaged.core.testing import assert_isolated
from comanaged.kb import services
from comanaged.kb.models import Article, ArticleAttachment, ArticleVersion, Category
from comanaged.kb.testing import document_runbooks
from comanaged.tenancy.tests.factories import make_staff, sign_in_person
from comanaged.tickets.tests.helpers import complete_ticket, make_contract

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(24)


@pytest.fixture
def world():
    agreement, poc, end_user = make_contract()
    other_agreement, other_poc, other_end_user = make_contract()
    outsider_staff = make_staff("onboarding_pm")  # on no client's team: sees no client
    return {
        "agreement": agreement,
        "client": agreement.client,
        "poc": poc,
        "poc_user": sign_in_person(poc),
        "end_user": sign_in_person(end_user),
        "other_client": other_agreement.client,
        "other_poc": sign_in_person(other_poc),
        "other_end_user": sign_in_person(other_end_user),
        "admin": make_staff("admin").user,
        "billing": make_staff("billing").user,  # reads the knowledge base, writes none of it
        "outsider_staff": outsider_staff.user,
    }


def write(actor, client, title, body="", *, visibility="client", publish=True, **extra):
    return services.article_create(
        actor=actor, client=client, title=title, body=body, visibility=visibility, publish=publish, **extra
    )


def page(http, user, url, **params):
    http.force_login(user)
    response = http.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def portal(name, *args):
    return reverse(f"portal:kb_{name}", args=args)


def console(name, *args):
    return reverse(f"console:kb_{name}", args=args)


def article_state():
    return (
        Article.objects.count(),
        ArticleVersion.objects.count(),
        ArticleAttachment.objects.count(),
        sorted(Article.objects.values_list("pk", "status", "title", "visibility")),
    )


# --- isolation (GUIDE convention 3) -----------------------------------------------------------


def test_r34_every_portal_docs_page_is_isolated(client, world, settings, tmp_path):
    """Anonymous → sign in; staff on the portal → 403; another client's POC → 404; the POC → 200."""
    settings.FILES_DIR = tmp_path
    article = write(world["poc_user"], world["client"], "VPN guide", "Connect with the client.")
    services.article_update(actor=world["poc_user"], article=article, body="Connect with WireGuard.")
    attachment = services.article_attach(
        actor=world["poc_user"], article=article, upload=SimpleUploadedFile("map.png", PNG)
    )
    staff = make_staff("admin").user
    for url in (portal("home"), portal("search") + "?q=vpn", portal("suggest") + "?title=vpn", portal("article_new")):
        assert_isolated(client, url, owner=world["poc_user"], wrong_role=staff, login_path=LOGIN)
    for url in (
        portal("article", article.pk),
        portal("article_edit", article.pk),
        portal("article_history", article.pk),
        portal("article_diff", article.pk),
        portal("attachment", article.pk, attachment.pk),
    ):
        assert_isolated(
            client, url, owner=world["poc_user"], outsider=world["other_poc"], wrong_role=staff, login_path=LOGIN
        )
    assert_isolated(
        client,
        portal("preview"),
        method="post",
        data={"body": "# Preview"},
        owner=world["poc_user"],
        wrong_role=staff,
        state=article_state,
        login_path=LOGIN,
    )
    posts = [
        (portal("article_status", article.pk), {"status": "archived"}),
        (portal("article_restore", article.pk), {"version": "1"}),
        (portal("article_edit", article.pk), {"title": "Hijacked", "body": "x", "visibility": "client"}),
        (portal("attachment_upload", article.pk), {"file": SimpleUploadedFile("more.png", PNG)}),
        (portal("attachment_delete", article.pk, attachment.pk), {}),
    ]
    for url, data in posts:
        assert_isolated(
            client,
            url,
            method="post",
            data=data,
            owner=world["poc_user"],
            outsider=world["other_poc"],
            wrong_role=staff,
            state=article_state,
            login_path=LOGIN,
        )


def test_r34_every_console_kb_page_is_isolated(client, world, settings, tmp_path):
    """Anonymous → sign in; a client's POC → 403; staff without the client in scope → 404."""
    settings.FILES_DIR = tmp_path
    article = write(world["admin"], world["client"], "Server room access", "Badge at reception.")
    services.article_update(actor=world["admin"], article=article, body="Badge at the front desk.")
    attachment = services.article_attach(
        actor=world["admin"], article=article, upload=SimpleUploadedFile("door.png", PNG)
    )
    for url in (
        console("home"),
        console("search") + "?q=badge",
        console("suggest") + "?title=badge",
        console("article_new"),
    ):
        assert_isolated(client, url, owner=world["admin"], wrong_role=world["poc_user"], login_path=LOGIN)
    assert_isolated(
        client,
        console("preview"),
        method="post",
        data={"body": "# Preview"},
        owner=world["admin"],
        wrong_role=world["poc_user"],
        login_path=LOGIN,
    )
    for url in (
        console("home") + f"?client={world['client'].pk}",
        console("search") + f"?client={world['client'].pk}&q=badge",
        console("article_new") + f"?client={world['client'].pk}",
        console("article", article.pk),
        console("article_edit", article.pk),
        console("article_history", article.pk),
        console("article_diff", article.pk),
        console("attachment", article.pk, attachment.pk),
    ):
        assert_isolated(
            client,
            url,
            owner=world["admin"],
            outsider=world["outsider_staff"],
            wrong_role=world["poc_user"],
            login_path=LOGIN,
        )
    posts = [
        (console("article_status", article.pk), {"status": "archived"}),
        (console("article_restore", article.pk), {"version": "1"}),
        (console("article_edit", article.pk), {"title": "Hijacked", "body": "x", "visibility": "client"}),
        (console("attachment_upload", article.pk), {"file": SimpleUploadedFile("more.png", PNG)}),
        (console("attachment_delete", article.pk, attachment.pk), {}),
    ]
    for url, data in posts:
        assert_isolated(
            client,
            url,
            method="post",
            data=data,
            owner=world["admin"],
            outsider=world["outsider_staff"],
            wrong_role=world["poc_user"],
            state=article_state,
            login_path=LOGIN,
        )


def test_r34_a_missing_or_malformed_article_is_a_404_like_a_foreign_one(client, world):
    client.force_login(world["poc_user"])
    for url in ("/portal/docs/articles/999999/", "/portal/docs/articles/99999999999999999999/"):
        assert client.get(url).status_code == 404
    assert client.get(portal("home") + "?category=abc&tag=%3Cb%3E&status=bogus").status_code == 200


# --- what each reader sees --------------------------------------------------------------------


def test_r34_another_clients_article_never_appears_in_list_search_or_suggestions(client, world):
    """Not as a row, a snippet or a count: the other client's words find nothing here."""
    write(
        world["other_poc"],
        world["other_client"],
        "Zanzibar printer setup",
        "The quokka driver.",
        visibility="end_users",
        tags=["wombat"],
    )
    mine = write(world["poc_user"], world["client"], "Printer setup", "Our printers.", visibility="end_users")
    for user in (world["poc_user"], world["end_user"]):
        home = page(client, user, portal("home"))
        assert "Zanzibar" not in home and "wombat" not in home and "Printer setup" in home
        results = page(client, user, portal("search"), q="zanzibar")
        assert "Zanzibar" not in results and "quokka" not in results and "Nothing found" in results
        assert "Nothing found" in page(client, user, portal("search"), q="quokka")
        printers = page(client, user, portal("search"), q="printer")
        assert "Zanzibar" not in printers and "1 result" in printers and portal("article", mine.pk) in printers
        suggestions = page(client, user, portal("suggest"), title="zanzibar quokka printer")
        assert "Zanzibar" not in suggestions and "quokka" not in suggestions
        assert suggestions.count("<li>") == 1 and "Printer setup" in suggestions
    # Staff on one client's team: the same, in the console.
    advisor = make_staff("strategic_advisor")
    world["client"].team.add(advisor)
    results = page(client, advisor.user, console("search"), q="printer")
    assert "Printer setup" in results and "Zanzibar" not in results and "1 result" in results
    overview = page(client, advisor.user, console("home"))
    assert world["other_client"].name not in overview and world["client"].name in overview
    assert client.get(console("home"), {"client": world["other_client"].pk}).status_code == 404


def test_r34_an_end_user_never_sees_a_draft_or_a_poc_only_article(client, world):
    draft = write(world["poc_user"], world["client"], "Draft onboarding", "wip", visibility="end_users", publish=False)
    poc_only = write(world["poc_user"], world["client"], "Admin onboarding", "secret steps", visibility="client")
    everyone = write(world["poc_user"], world["client"], "Onboarding for everyone", "welcome", visibility="end_users")
    provider_internal = write(world["admin"], None, "Internal onboarding", "desk only", visibility="internal")
    home = page(client, world["end_user"], portal("home"))
    assert "Onboarding for everyone" in home
    assert "Draft onboarding" not in home and "Admin onboarding" not in home and "Internal onboarding" not in home
    assert "New article" not in home and "Drafts" not in home  # readers get no editing controls
    for article in (draft, poc_only, provider_internal):
        assert client.get(portal("article", article.pk)).status_code == 404
    detail = page(client, world["end_user"], portal("article", everyone.pk))
    assert "welcome" in detail and 'id="edit-article"' not in detail
    assert client.get(portal("article_history", everyone.pk)).status_code == 403
    results = page(client, world["end_user"], portal("search"), q="onboarding")
    assert "Onboarding for everyone" in results
    assert "Draft onboarding" not in results and "Admin onboarding" not in results and "Internal" not in results
    suggestions = page(client, world["end_user"], portal("suggest"), title="onboarding")
    assert suggestions.count("<li>") == 1
    # The POC sees their draft and the POC-only one, with editors' badges; never the internal one.
    poc_home = page(client, world["poc_user"], portal("home"))
    assert "Draft onboarding" in poc_home and "Admin onboarding" in poc_home and "Internal onboarding" not in poc_home
    assert "cm-kb-status-draft" in poc_home


def test_r34_a_poc_reads_provider_wide_articles_once_published(client, world):
    draft = write(world["admin"], None, "How to reach the desk", "Call us.", publish=False)
    home = page(client, world["poc_user"], portal("home"))
    assert "How to reach the desk" not in home
    assert client.get(portal("article", draft.pk)).status_code == 404
    services.article_set_status(actor=world["admin"], article=draft, status="published")
    home = page(client, world["poc_user"], portal("home"))
    assert "How to reach the desk" in home and 'id="provider-articles"' in home
    detail = page(client, world["poc_user"], portal("article", draft.pk))
    assert "Call us." in detail and 'id="edit-article"' not in detail
    assert client.get(portal("article_edit", draft.pk)).status_code == 403


def test_home_filters_by_category_tag_and_status(client, world):
    howto = Category.objects.create(name="Remote work")
    write(world["poc_user"], world["client"], "VPN", "", category=howto, tags=["network", "remote"])
    write(world["poc_user"], world["client"], "Printers", "", tags=["hardware"])
    write(world["poc_user"], world["client"], "Old wiki", "", publish=False)
    filtered = page(client, world["poc_user"], portal("home"), category=howto.pk)
    assert "VPN" in filtered and "Printers" not in filtered and "Clear filters" in filtered
    tagged = page(client, world["poc_user"], portal("home"), tag="hardware")
    assert "Printers" in tagged and ">VPN<" not in tagged
    drafts = page(client, world["poc_user"], portal("home"), status="draft")
    assert "Old wiki" in drafts and "Printers" not in drafts


# --- writing ----------------------------------------------------------------------------------


def test_r34_a_poc_writes_publishes_edits_and_compares_versions(client, world):
    client.force_login(world["poc_user"])
    response = client.post(
        portal("article_new"),
        {
            "title": "Reset a password",
            "body": "1. Open the portal\n2. Click reset",
            "visibility": "end_users",
            "tags": "Passwords, accounts",
            "action": "draft",
        },
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == portal("article", article.pk)
    assert (article.client, article.status, article.created_by) == (world["client"], "draft", world["poc_user"])
    assert sorted(article.tags.values_list("name", flat=True)) == ["accounts", "passwords"]
    assert "Draft" in page(client, world["poc_user"], portal("article", article.pk))
    client.post(portal("article_status", article.pk), {"status": "published"})
    article.refresh_from_db()
    assert article.status == "published" and article.published_version.number == 1

    edit = page(client, world["poc_user"], portal("article_edit", article.pk))
    assert 'name="base_version" value="1"' in edit
    client.post(
        portal("article_edit", article.pk),
        {
            "title": "Reset a password",
            "body": "1. Open the portal\n2. Click *Forgot password*",
            "visibility": "end_users",
            "tags": "passwords",
            "note": "clearer step 2",
            "base_version": "1",
            "action": "draft",
        },
    )
    article.refresh_from_db()
    assert article.has_unpublished_changes and article.current_version.number == 2
    detail = page(client, world["poc_user"], portal("article", article.pk))
    assert "Unpublished changes" in detail and "readers still see version 1" in detail
    # The end-user still reads version 1.
    assert "Click reset" in page(client, world["end_user"], portal("article", article.pk))

    history = page(client, world["poc_user"], portal("article_history", article.pk))
    assert "clearer step 2" in history and 'name="a" value="1"' in history
    diff = page(client, world["poc_user"], portal("article_diff", article.pk), a=1, b=2)
    assert "<del>reset</del>" in diff and "<ins>*Forgot password*</ins>" in diff

    response = client.post(portal("article_restore", article.pk), {"version": "1"})
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.current_version.number == 3 and article.current_version.body.endswith("Click reset")


def test_r34_a_poc_cannot_create_a_provider_only_article_and_nothing_is_saved(client, world):
    client.force_login(world["poc_user"])
    form = page(client, world["poc_user"], portal("article_new"))
    assert 'value="internal"' not in form  # not offered…
    response = client.post(portal("article_new"), {"title": "Hidden", "body": "x", "visibility": "internal"})
    assert response.status_code == 200  # …and refused with the service's reason
    assert "Provider-only pages are written by the provider" in response.content.decode()
    assert not Article.objects.exists()


def test_r34_refused_writes_change_nothing(client, world):
    article = write(world["poc_user"], world["client"], "Wi-Fi", "SSID: Office", visibility="end_users")
    before = article_state()
    # An end-user reads but never writes.
    client.force_login(world["end_user"])
    assert client.get(portal("article_new")).status_code == 403
    assert client.post(portal("article_new"), {"title": "Mine", "visibility": "end_users"}).status_code == 403
    assert client.post(portal("article_status", article.pk), {"status": "archived"}).status_code == 403
    assert (
        client.post(portal("article_edit", article.pk), {"title": "Pwned", "visibility": "client"}).status_code == 403
    )
    assert client.post(portal("article_restore", article.pk), {"version": "1"}).status_code == 403
    assert client.post(portal("preview"), {"body": "# x"}).status_code == 403
    # Staff who read the knowledge base but do not write it.
    client.force_login(world["billing"])
    assert client.post(console("article_status", article.pk), {"status": "archived"}).status_code == 403
    assert client.get(console("article_new") + f"?client={world['client'].pk}").status_code == 403
    assert article_state() == before

    # A POC's invalid edit or a stale one is shown beside the field, and saves nothing.
    client.force_login(world["poc_user"])
    empty = client.post(portal("article_edit", article.pk), {"title": " ", "body": "x", "visibility": "client"})
    assert "A title is needed." in empty.content.decode()
    services.article_update(actor=world["admin"], article=article, body="SSID: Office-5G")  # someone else saves v2
    after_other = article_state()
    stale = client.post(
        portal("article_edit", article.pk),
        {"title": "Wi-Fi", "body": "SSID: Guest", "visibility": "end_users", "base_version": "1"},
    )
    page_text = stale.content.decode()
    assert stale.status_code == 200 and "Someone saved version 2 while you edited version 1" in page_text
    assert "Nothing was saved" in page_text
    bad_tag = client.post(
        portal("article_edit", article.pk), {"title": "Wi-Fi", "body": "x", "visibility": "client", "tags": "<b>"}
    )
    assert "Tag" in bad_tag.content.decode() and 'data-error-for="tags"' in bad_tag.content.decode()
    assert client.post(portal("article_status", article.pk), {"status": "bogus"}).status_code == 302
    assert article_state() == after_other
    assert client.get(portal("article_status", article.pk)).status_code == 405


def test_r34_html_in_titles_and_bodies_is_rendered_inert(client, world):
    title = "<script>alert(1)</script> Printers"
    body = (
        "Hello <img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n"
        "<iframe src=//evil.example></iframe>\n\n![t](https://tracker.example/pixel.png)"
    )
    article = write(world["poc_user"], world["client"], title, body, visibility="end_users")
    services.article_update(actor=world["poc_user"], article=article, body=body + "\n\nmore <b onmouseover=x>")
    urls = [
        portal("home"),
        portal("article", article.pk),
        portal("article_edit", article.pk),
        portal("article_history", article.pk),
        portal("article_diff", article.pk),
        portal("search") + "?q=printers",
        portal("suggest") + "?title=printers",
    ]
    for url in urls:
        text = page(client, world["poc_user"], url)
        assert "<script>alert(1)" not in text, url
        assert not re.search(r"<img[^>]*onerror", text), url
        assert not re.search(r"<[a-z]+[^>]*onmouseover", text), url
        assert 'href="javascript:' not in text and "<iframe" not in text, url
        assert 'src="https://tracker.example' not in text, url
    detail = page(client, world["end_user"], portal("article", article.pk))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Printers" in detail
    assert "&lt;img src=x onerror=alert(2)&gt;" in detail  # shown as text, never as markup
    client.force_login(world["poc_user"])
    preview = client.post(portal("preview"), {"body": "<script>alert(4)</script>\n\n**bold**"}).content.decode()
    assert "<script>" not in preview and "<strong>bold</strong>" in preview


def test_the_preview_renders_markdown_for_writers_only(client, world):
    client.force_login(world["poc_user"])
    html = client.post(portal("preview"), {"body": "# Steps\n\n| a | b |\n|---|---|\n| 1 | 2 |"}).content.decode()
    assert "<h1>Steps</h1>" in html and "<table>" in html
    assert "Nothing to preview" in client.post(portal("preview"), {"body": "  "}).content.decode()
    too_long = client.post(portal("preview"), {"body": "x" * (services.BODY_MAX + 1)}).content.decode()
    assert "the limit is 200,000" in too_long
    assert client.get(portal("preview")).status_code == 405


# --- attachments ------------------------------------------------------------------------------


def test_attachments_upload_show_in_markdown_download_and_delete(client, world, settings, tmp_path):
    settings.FILES_DIR = tmp_path
    article = write(world["poc_user"], world["client"], "Floor plan", "", visibility="end_users")
    client.force_login(world["poc_user"])
    refused = client.post(
        portal("attachment_upload", article.pk), {"file": SimpleUploadedFile("setup.exe", b"MZ" + bytes(64))}
    )
    assert refused.status_code == 302 and not ArticleAttachment.objects.exists()
    assert "not accepted" in page(client, world["poc_user"], portal("article", article.pk))
    htmx = client.post(
        portal("attachment_upload", article.pk), {"file": SimpleUploadedFile("plan.png", PNG)}, HTTP_HX_REQUEST="true"
    )
    attachment = ArticleAttachment.objects.get()
    url = portal("attachment", article.pk, attachment.pk)
    assert (
        htmx.status_code == 200
        and "Attached plan.png" in htmx.content.decode()
        and f"![plan.png]({url})" in htmx.content.decode()
    )
    services.article_update(actor=world["poc_user"], article=article, body=f"![plan]({url})", publish=True)
    detail = page(client, world["end_user"], portal("article", article.pk))
    assert f'<img src="{url}" alt="plan">' in detail and 'id="upload-form"' not in detail
    download = client.get(url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("inline")
    assert download["X-Content-Type-Options"] == "nosniff" and "sandbox" in download["Content-Security-Policy"]
    # The same Markdown shows the image on the console too, through the console's own URL.
    console_detail = page(client, world["admin"], console("article", article.pk))
    assert f'<img src="{console("attachment", article.pk, attachment.pk)}"' in console_detail
    # End-users read files but never remove them.
    client.force_login(world["end_user"])
    assert client.post(portal("attachment_delete", article.pk, attachment.pk)).status_code == 403
    client.force_login(world["poc_user"])
    assert client.post(portal("attachment_delete", article.pk, attachment.pk)).status_code == 302
    assert not ArticleAttachment.objects.exists()


def test_a_huge_attachment_is_refused_before_it_is_read(client, world):
    article = write(world["poc_user"], world["client"], "Big", "")
    client.force_login(world["poc_user"])
    response = client.generic(
        "POST",
        portal("attachment_upload", article.pk),
        data=b"x" * 10,
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(2 * 1024**3),
    )
    assert response.status_code == 413 and not ArticleAttachment.objects.exists()


# --- search and suggestions -------------------------------------------------------------------


def test_search_handles_empty_and_garbage_queries(client, world):
    write(world["poc_user"], world["client"], "Printers", "HP LaserJet")
    for q, expected in (("", "Type a few words"), ("!!! *** ()", "no words to search for"), ("zzz", "Nothing found")):
        assert expected in page(client, world["poc_user"], portal("search"), q=q)
    page(client, world["poc_user"], portal("search"), q="laser " + "x" * 50_000)  # a paste accident: still a 200
    page(client, world["poc_user"], portal("search"), q='OR NEAR("a" b) * - : \' ;-- \u202e')
    assert "1 result" in page(client, world["poc_user"], portal("search"), q="LASERJET printers")


def test_staff_search_shows_tickets_documents_and_articles_with_their_client(client, world):
    ticket = complete_ticket(world["agreement"], world["poc"], title="Plotter jammed")
    from comanaged.kb.indexing import index_ticket

    index_ticket(ticket)
    write(world["admin"], world["client"], "Plotter maintenance", "Clean the rollers.")
    results = page(client, world["admin"], console("search"), q="plotter")
    assert reverse("console:ticket", args=[ticket.number]) in results
    assert "Plotter maintenance" in results and world["client"].name in results
    # A POC's search never lists tickets.
    assert "Plotter jammed" not in page(client, world["poc_user"], portal("search"), q="plotter")


def test_r33_suggestions_are_empty_for_an_empty_query_and_find_articles_by_any_title_word(client, world):
    write(world["poc_user"], world["client"], "Outlook keeps asking for a password", "Clear the credential manager.")
    empty = page(client, world["poc_user"], portal("suggest"))
    assert "<li>" not in empty
    # "Outlook crashes on start": not every word is in the article; its longest word finds it.
    found = page(client, world["poc_user"], portal("suggest"), title="Outlook crashes", description="on start")
    assert "Outlook keeps asking" in found and 'target="_blank"' in found and 'rel="noopener"' in found
    assert client.post(portal("suggest")).status_code == 405


def test_r33_the_new_ticket_form_has_the_suggestions_panel(client, world):
    form = page(client, world["poc_user"], reverse("portal:ticket_new"))
    assert 'id="kb-suggestions"' in form and f'hx-get="{portal("suggest")}"' in form
    assert "kb/kb.css" in form


# --- the console --------------------------------------------------------------------------------


def test_console_home_lists_provider_wide_articles_and_clients_then_one_clients_docs(client, world):
    write(world["admin"], None, "How we patch", "Second Tuesday.", visibility="internal")
    write(world["poc_user"], world["client"], "Their VPN", "WireGuard.")
    overview = page(client, world["admin"], console("home"))
    assert "How we patch" in overview and "Their VPN" not in overview
    assert world["client"].name in overview and f"?client={world['client'].pk}" in overview
    one = page(client, world["admin"], console("home"), client=world["client"].pk)
    assert "Their VPN" in one and "How we patch" in one and 'id="runbook-progress"' in one
    assert console("article_new") + f"?client={world['client'].pk}" in one


def test_console_staff_write_provider_wide_and_client_articles(client, world):
    client.force_login(world["admin"])
    response = client.post(
        console("article_new"), {"title": "Desk hours", "body": "24x7", "visibility": "end_users", "action": "publish"}
    )
    provider_wide = Article.objects.get(title="Desk hours")
    assert response.status_code == 302 and provider_wide.client is None and provider_wide.status == "published"
    client.post(
        console("article_new") + f"?client={world['client'].pk}",
        {"title": "Their firewall", "body": "FortiGate", "visibility": "internal", "action": "draft"},
    )
    theirs = Article.objects.get(title="Their firewall")
    assert theirs.client == world["client"] and theirs.visibility == "internal"
    assert "Desk hours" in page(client, world["end_user"], portal("home"))
    assert client.get(portal("article", theirs.pk)).status_code == 404  # provider-only: not for the client
    # Staff out of scope cannot write for that client (404: it does not exist for them).
    client.force_login(world["outsider_staff"])
    assert client.get(console("article_new") + f"?client={world['client'].pk}").status_code == 404


def test_r27_runbook_progress_on_the_portal_home_and_docs(client, world):
    agreement, poc, _ = make_contract(plan="co_managed_plus")
    user = sign_in_person(poc)
    home = page(client, user, reverse("portal:home"))
    assert re.search(r"0 of \d+ documented", home) and reverse("portal:kb_environment") in home
    document_runbooks(agreement.client)
    home = page(client, user, reverse("portal:home"))
    match = re.search(r"(\d+) of (\d+) documented", home)
    assert match and match.group(1) == match.group(2)
    docs = page(client, user, portal("home"))
    assert 'id="runbook-progress"' in docs and reverse("portal:kb_environment") in docs


def test_the_upload_checks_csrf_itself_after_putting_its_size_limit_in_place(world, settings, tmp_path):
    """The upload view is exempt from the middleware's check only to install the size limit
    first; ``csrf_protect`` then refuses a forged request."""
    from django.test import Client as HttpClient

    settings.FILES_DIR = tmp_path
    article = write(world["poc_user"], world["client"], "Forms", "")
    strict = HttpClient(enforce_csrf_checks=True)
    strict.force_login(world["poc_user"])
    forged = strict.post(portal("attachment_upload", article.pk), {"file": SimpleUploadedFile("a.png", PNG)})
    assert forged.status_code == 403 and not ArticleAttachment.objects.exists()
    strict.force_login(world["admin"])
    forged = strict.post(console("attachment_upload", article.pk), {"file": SimpleUploadedFile("a.png", PNG)})
    assert forged.status_code == 403 and not ArticleAttachment.objects.exists()
