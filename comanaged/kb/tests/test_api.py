"""The knowledge base's REST API (R34, R27): who may call what, tenant isolation on every endpoint,
the credential vault's reveal (logged, rate limited, refused as not found), no secret in any other
response, search scoped to the caller, and bad input refused with the error shape, saving nothing."""

from __future__ import annotations

import io
import json
import typing
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client as HttpClient

from comanaged.api.tests.conftest import bearer
from comanaged.core.models import AuditEntry
from comanaged.core.testing import assert_isolated
from comanaged.kb import schemas
from comanaged.kb.choices import RevealOutcome
from comanaged.kb.documents import document_save
from comanaged.kb.models import (
    Article,
    ArticleVersion,
    Credential,
    CredentialAccess,
    Document,
    DocumentTemplate,
    RunbookChecklist,
)
from comanaged.kb.services import article_create, article_update
from comanaged.kb.testing import filled_values
from comanaged.kb.tests.helpers import company
from comanaged.kb.vault import credential_save
from comanaged.tenancy.tests.factories import make_staff

pytestmark = pytest.mark.django_db

PASSWORD = "Tr0ub4dor&3-api-7c1e"
NOTES = "Break-glass account 5b9a"
SEED = "JBSWY3DPEHPK3PXP"
SECRETS = (PASSWORD, NOTES, SEED)


class JsonClient(HttpClient):
    """Sends dict bodies as JSON, as API callers do."""

    def post(self, path, data=None, content_type="application/json", **extra):
        return super().post(path, json.dumps(data or {}), content_type=content_type, **extra)

    def put(self, path, data=None, content_type="application/json", **extra):
        return super().put(path, json.dumps(data or {}), content_type=content_type, **extra)

    def patch(self, path, data=None, content_type="application/json", **extra):
        return super().patch(path, json.dumps(data or {}), content_type=content_type, **extra)


def as_user(user, scope: str = "write") -> JsonClient:
    """A JSON client sending a fresh bearer token of ``user``."""
    http = bearer(user, scope)
    return JsonClient(HTTP_AUTHORIZATION=http.defaults["HTTP_AUTHORIZATION"])


@pytest.fixture
def http():
    return JsonClient()


def template(slug: str) -> DocumentTemplate:
    return DocumentTemplate.objects.get(slug=slug)


def documented(tenant, *, actor=None, visibility="client", slug="internet-isp", title="Fibre line"):
    return document_save(
        actor=actor or tenant.poc,
        client=tenant.client,
        template=template(slug),
        title=title,
        values={"isp": "Lumen"} if slug == "internet-isp" else filled_values(template(slug)),
        visibility=visibility,
    )


def login_for(document, actor) -> Credential:
    return credential_save(
        actor=actor,
        document=document,
        name="Firewall admin",
        username="admin",
        url="https://fw.example.com",
        password=PASSWORD,
        notes=NOTES,
        totp_seed=SEED,
    )


@pytest.fixture
def world():
    """Two clients (mine, theirs), each with an article, a document, a credential; and people."""
    admin = make_staff("admin").user
    objects: dict[str, dict[str, Any]] = {}
    for label in ("mine", "theirs"):
        tenant = company()
        article = article_create(
            actor=admin,
            client=tenant.client,
            title=f"VPN at {label}",
            body="Open the **VPN** client",
            visibility="end_users",
            tags=["vpn"],
            publish=True,
        )
        article_update(actor=admin, article=article, body="Open the VPN client, then sign in", note="v2")
        document = documented(tenant)
        objects[label] = {
            "tenant": tenant,
            "client": tenant.client,
            "agreement": tenant.agreement,
            "article": article,
            "document": document,
            "credential": login_for(document, tenant.poc),
        }
    scoped = make_staff("onboarding_pm")
    objects["mine"]["client"].team.add(scoped)
    return {"objects": objects, "admin": admin, "scoped_staff": scoped.user}


def kb_state() -> tuple[int, ...]:
    return tuple(
        model._base_manager.count()
        for model in (Article, ArticleVersion, Document, Credential, RunbookChecklist, DocumentTemplate)
    )


# --- isolation on every endpoint (R34) -------------------------------------------------------


@dataclass(frozen=True)
class Case:
    method: str
    url: Callable[[dict[str, Any]], str]
    key: str  # the object of `theirs` whose state must not change on a refusal
    data: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    wrong_role: str | None = None  # a staff role that reads the object but may not do this (403)
    owner_statuses: tuple[int, ...] = (200,)


def _article_url(suffix: str = "") -> Callable[[dict[str, Any]], str]:
    return lambda o: f"/api/v1/kb/articles/{o['theirs']['article'].pk}{suffix}"


def _document_url(suffix: str = "") -> Callable[[dict[str, Any]], str]:
    return lambda o: f"/api/v1/kb/documents/{o['theirs']['document'].pk}{suffix}"


def _credential_url(suffix: str = "") -> Callable[[dict[str, Any]], str]:
    return lambda o: f"/api/v1/kb/credentials/{o['theirs']['credential'].pk}{suffix}"


def _runbooks_url(o: dict[str, Any]) -> str:
    return f"/api/v1/kb/agreements/{o['theirs']['agreement'].pk}/runbooks"


CASES = {
    "get article": Case("get", _article_url(), "article"),
    "patch article": Case("patch", _article_url(), "article", lambda o: {"title": "Changed"}, "billing"),
    "article status": Case("post", _article_url("/status"), "article", lambda o: {"status": "archived"}, "billing"),
    "article versions": Case("get", _article_url("/versions"), "article", None, "billing"),
    "article version": Case("get", _article_url("/versions/1"), "article", None, "billing"),
    "restore article": Case("post", _article_url("/restore"), "article", lambda o: {"version": 1}, "billing"),
    "article links": Case(
        "put",
        _article_url("/links"),
        "article",
        lambda o: {"site_ids": [], "ticket_ids": [], "application_ids": []},
        "billing",
    ),
    "delete article": Case("delete", _article_url(), "article", None, "billing", (204,)),
    "create article": Case(
        "post",
        lambda o: "/api/v1/kb/articles",
        "client",
        lambda o: {"client_id": o["theirs"]["client"].pk, "title": "Mine now"},
        "billing",
        (201,),
    ),
    "get document": Case("get", _document_url(), "document"),
    "patch document": Case("patch", _document_url(), "document", lambda o: {"title": "Changed"}, "billing"),
    "delete document": Case("delete", _document_url(), "document", None, "billing", (204,)),
    "create document": Case(
        "post",
        lambda o: "/api/v1/kb/documents",
        "client",
        lambda o: {"client_id": o["theirs"]["client"].pk, "template_id": template("server").pk, "title": "X"},
        "billing",
        (201,),
    ),
    "create credential": Case(
        "post", _document_url("/credentials"), "document", lambda o: {"name": "Router"}, "billing", (201,)
    ),
    "patch credential": Case("patch", _credential_url(), "credential", lambda o: {"password": "stolen"}),
    "delete credential": Case("delete", _credential_url(), "credential", None, None, (204,)),
    "reveal credential": Case("post", _credential_url("/reveal"), "credential", lambda o: {"field": "password"}),
    "get runbooks": Case("get", _runbooks_url, "agreement"),
    "set runbooks": Case(
        "put", _runbooks_url, "agreement", lambda o: {"template_ids": [template("server").pk]}, "technician"
    ),
    "reset runbooks": Case("delete", _runbooks_url, "agreement", None, "technician"),
    "export": Case("get", lambda o: f"/api/v1/kb/clients/{o['theirs']['client'].pk}/export", "client", None, "billing"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_r34_every_kb_endpoint_is_isolated_and_a_refusal_changes_nothing(http, world, name):
    """Anonymous → 401; a staff role that may not → 403; staff of another client's team → 404 like
    a missing object; nothing changes on a refusal; the rightful caller gets through."""
    case = CASES[name]
    objs = world["objects"]
    target = objs["theirs"][case.key]

    def state():
        fresh = type(target)._base_manager.filter(pk=target.pk).first()
        return (model_to_dict(fresh) if fresh else None, kb_state())

    assert_isolated(
        http,
        case.url(objs),
        method=case.method,
        data=case.data(objs) if case.data else None,
        owner=world["admin"],
        outsider=world["scoped_staff"],
        wrong_role=make_staff(case.wrong_role).user if case.wrong_role else None,
        state=state,
        anonymous_statuses=(401,),
        owner_statuses=case.owner_statuses,
    )


@pytest.mark.parametrize("name", list(CASES))
def test_r34_another_clients_poc_gets_404_on_every_endpoint_and_nothing_changes(http, world, name):
    case = CASES[name]
    objs = world["objects"]
    before = kb_state()
    target = objs["theirs"][case.key]
    snapshot = model_to_dict(type(target)._base_manager.get(pk=target.pk))
    http.force_login(objs["mine"]["tenant"].poc)
    url = case.url(objs)
    data = case.data(objs) if case.data else None
    response = http.get(url, data or {}) if case.method == "get" else getattr(http, case.method)(url, data)
    if name in ("set runbooks", "reset runbooks"):
        assert response.status_code in (403, 404)  # a POC never changes agreements
    else:
        assert response.status_code == 404, response.content
        assert response.json()["code"] == "not_found"
    assert kb_state() == before
    assert model_to_dict(type(target)._base_manager.get(pk=target.pk)) == snapshot


@pytest.mark.parametrize(
    "path", ["articles", "documents", "credential-accesses", "templates", "categories", "search?q=vpn"]
)
def test_r34_anonymous_callers_get_401_with_the_error_shape(http, path):
    response = http.get(f"/api/v1/kb/{path}")
    assert response.status_code == 401
    assert set(response.json()) == {"code", "message", "field", "problems"}


@pytest.mark.parametrize("path", ["articles", "documents", "credential-accesses"])
def test_r34_lists_hold_only_the_callers_clients(world, path):
    objs = world["objects"]
    # A reveal on each client, so the access log has rows of both.
    for label in ("mine", "theirs"):
        response = as_user(objs[label]["tenant"].poc).post(
            f"/api/v1/kb/credentials/{objs[label]['credential'].pk}/reveal", {"field": "password"}
        )
        assert response.status_code == 200
    for user in (world["scoped_staff"], objs["mine"]["tenant"].poc):
        http = as_user(user)
        items = http.get(f"/api/v1/kb/{path}?limit=1000").json()["items"]
        assert items and {item["client_id"] for item in items} <= {objs["mine"]["client"].pk, None}
        # Asking for the other client by id gives nothing, never their rows.
        theirs = http.get(f"/api/v1/kb/{path}?client_id={objs['theirs']['client'].pk}").json()["items"]
        assert theirs == []


# --- articles: readers and editors (R34) ------------------------------------------------------


def test_r34_an_end_user_reads_only_published_articles_meant_for_everyone(world):
    objs = world["objects"]
    acme, admin = objs["mine"]["tenant"], world["admin"]
    draft = article_create(actor=admin, client=acme.client, title="Draft for all", visibility="end_users")
    for_pocs = article_create(actor=admin, client=acme.client, title="POCs only", visibility="client", publish=True)
    internal = article_create(actor=admin, client=acme.client, title="Internal", visibility="internal", publish=True)
    provider_wide = article_create(actor=admin, client=None, title="MFA how-to", visibility="end_users", publish=True)

    http = as_user(acme.end_user)
    listed = {item["id"] for item in http.get("/api/v1/kb/articles?limit=1000").json()["items"]}
    assert listed == {objs["mine"]["article"].pk, provider_wide.pk}
    for hidden in (draft, for_pocs, internal, objs["theirs"]["article"]):
        assert http.get(f"/api/v1/kb/articles/{hidden.pk}").status_code == 404

    # The reader reads the published version, not the newer draft, and sees no editor's flags.
    body = http.get(f"/api/v1/kb/articles/{objs['mine']['article'].pk}").json()
    assert body["version"] == 1 and body["body"] == "Open the **VPN** client"
    assert body["body_html"] == "<p>Open the <strong>VPN</strong> client</p>\n"
    assert body["has_unpublished_changes"] is False and body["may_edit"] is False
    assert body["tags"] == ["vpn"] and body["visibility"] == "end_users"

    # Everything an end-user reads is published to them; a POC reads their client's pages too.
    poc_listed = {item["id"] for item in as_user(acme.poc).get("/api/v1/kb/articles?limit=1000").json()["items"]}
    assert poc_listed == {objs["mine"]["article"].pk, provider_wide.pk, draft.pk, for_pocs.pk}


def test_r34_an_editor_reads_the_newest_version_and_sees_unpublished_changes(world):
    objs = world["objects"]
    body = as_user(objs["mine"]["tenant"].poc).get(f"/api/v1/kb/articles/{objs['mine']['article'].pk}").json()
    assert body["version"] == 2 and body["body"] == "Open the VPN client, then sign in"
    assert body["has_unpublished_changes"] is True and body["may_edit"] is True


def test_r34_a_poc_writes_publishes_and_restores_an_article_of_their_client(world):
    acme = world["objects"]["mine"]["tenant"]
    http = as_user(acme.poc)
    response = http.post(
        "/api/v1/kb/articles",
        {"client_id": acme.client.pk, "title": "Printers", "body": "# Printers\n<script>x</script>", "tags": ["Print"]},
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["status"] == "draft" and created["version"] == 1 and created["tags"] == ["print"]
    assert "<script>" not in created["body_html"] and "<h1>Printers</h1>" in created["body_html"]
    url = f"/api/v1/kb/articles/{created['id']}"

    changed = http.patch(url, {"body": "Second", "base_version": 1, "publish": True, "note": "simpler"}).json()
    assert changed["version"] == 2 and changed["status"] == "published" and not changed["has_unpublished_changes"]
    versions = http.get(f"{url}/versions").json()["items"]
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["note"] == "simpler"
    assert versions[0]["is_current"] and versions[0]["is_published"]
    assert http.get(f"{url}/versions/1").json()["body"] == "# Printers\n<script>x</script>"
    assert http.get(f"{url}/versions/9").status_code == 404

    restored = http.post(f"{url}/restore", {"version": 1}).json()
    assert restored["version"] == 3 and restored["body"].startswith("# Printers")
    assert http.post(f"{url}/restore", {"version": 7}).status_code == 404

    archived = http.post(f"{url}/status", {"status": "archived"}).json()
    assert archived["status"] == "archived"
    # A POC archives; only the provider deletes.
    assert http.delete(url).status_code == 403
    assert Article.objects.filter(pk=created["id"]).exists()
    assert as_user(world["admin"]).delete(url).status_code == 204
    assert not Article.objects.filter(pk=created["id"]).exists()
    assert AuditEntry.objects.filter(object_type="kb.article", object_id=str(created["id"]), action="delete").exists()


def test_r34_a_poc_cannot_write_provider_only_or_provider_wide_articles_and_nothing_is_saved(world):
    acme = world["objects"]["mine"]["tenant"]
    http = as_user(acme.poc)
    before = kb_state()
    internal = http.post("/api/v1/kb/articles", {"client_id": acme.client.pk, "title": "X", "visibility": "internal"})
    assert internal.status_code == 400
    assert internal.json()["code"] == "visibility_not_allowed" and internal.json()["field"] == "visibility"
    provider_wide = http.post("/api/v1/kb/articles", {"client_id": None, "title": "X"})
    assert provider_wide.status_code == 403 and provider_wide.json()["code"] == "permission_denied"
    end_user = as_user(acme.end_user).post("/api/v1/kb/articles", {"client_id": acme.client.pk, "title": "X"})
    assert end_user.status_code == 403
    assert kb_state() == before
    # Nor turn their client's article provider-only.
    url = f"/api/v1/kb/articles/{world['objects']['mine']['article'].pk}"
    assert http.patch(url, {"visibility": "internal"}).status_code == 400
    assert Article.objects.get(pk=world["objects"]["mine"]["article"].pk).visibility == "end_users"


def test_r34_a_reader_may_not_change_what_they_read(world):
    objs = world["objects"]
    http = as_user(objs["mine"]["tenant"].end_user)
    url = f"/api/v1/kb/articles/{objs['mine']['article'].pk}"
    before = kb_state()
    assert http.patch(url, {"title": "Mine"}).status_code == 403
    assert http.post(f"{url}/status", {"status": "archived"}).status_code == 403
    assert http.get(f"{url}/versions").status_code == 403
    assert kb_state() == before
    assert Article.objects.get(pk=objs["mine"]["article"].pk).status == "published"


def test_r34_a_stale_base_version_is_a_409_and_saves_nothing(world):
    article = world["objects"]["mine"]["article"]
    http = as_user(world["objects"]["mine"]["tenant"].poc)
    before = kb_state()
    response = http.patch(f"/api/v1/kb/articles/{article.pk}", {"body": "Overwrite", "base_version": 1})
    assert response.status_code == 409
    assert response.json()["code"] == "version_conflict"
    assert set(response.json()) == {"code", "message", "field", "problems"}
    assert kb_state() == before


def test_r34_links_name_only_the_clients_own_records(world):
    objs = world["objects"]
    from comanaged.tenancy.tests.factories import SiteFactory

    mine, theirs = SiteFactory(client=objs["mine"]["client"]), SiteFactory(client=objs["theirs"]["client"])
    http = as_user(objs["mine"]["tenant"].poc)
    url = f"/api/v1/kb/articles/{objs['mine']['article'].pk}/links"
    refused = http.put(url, {"site_ids": [mine.pk, theirs.pk]})
    assert refused.status_code == 404 and refused.json()["field"] == "sites"
    assert not Article.objects.get(pk=objs["mine"]["article"].pk).sites.exists()
    linked = http.put(url, {"site_ids": [mine.pk]}).json()
    assert linked["links"] == {"ticket_ids": [], "site_ids": [mine.pk], "application_ids": []}


def test_r34_article_list_filters_and_walks_pages_with_a_cursor(world):
    admin = world["admin"]
    client = world["objects"]["mine"]["client"]
    for n in range(5):
        article_create(actor=admin, client=client, title=f"Page {n}", tags=["paged"], publish=n % 2 == 0)
    http = as_user(admin)
    seen, url = [], f"/api/v1/kb/articles?tag=paged&limit=2&client_id={client.pk}"
    while url:
        body = http.get(url).json()
        seen += [item["title"] for item in body["items"]]
        url = body["next"]
    assert seen == [f"Page {n}" for n in range(5)]
    published = http.get("/api/v1/kb/articles?tag=paged&status=published").json()["items"]
    assert [item["title"] for item in published] == ["Page 0", "Page 2", "Page 4"]
    assert http.get("/api/v1/kb/articles?provider_wide=true").json()["items"] == []


# --- validation: the error shape, nothing saved -----------------------------------------------


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"title": "x" * 201}, 422, "title"),
        pytest.param(
            {"title": "Ok", "body": "x" * 200_001},
            422,
            "body",
        ),
        ({"title": "Ok", "note": "x" * 201}, 422, "note"),
        ({"title": "Ok", "tags": [f"t{n}" for n in range(21)]}, 422, "tags"),
        ({"title": "Ok", "tags": ["x" * 41]}, 422, "tags.0"),
        ({"title": "Ok", "colour": "red"}, 422, "colour"),
        ({"title": "Ok", "visibility": "world"}, 422, "visibility"),
        ({"title": "Ok\x00"}, 422, "title"),
        ({"title": "Ok", "client_id": 2**63}, 422, "client_id"),
        ({"title": "Ok", "category_id": 0}, 422, "category_id"),
        ({"title": "   "}, 400, "title"),
        ({"title": "Ok", "tags": ["no/slash"]}, 400, "tags"),
        ({"title": "Ok", "category_id": 999_999}, 404, "category_id"),
    ],
)
def test_r34_bad_article_input_is_refused_with_the_error_shape_and_saves_nothing(world, data, status, field):
    admin = world["admin"]
    before = kb_state()
    payload = {"client_id": world["objects"]["mine"]["client"].pk, **data}
    response = as_user(admin).post("/api/v1/kb/articles", payload)
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "field", "problems"} and body["message"]
    assert body["field"] == field
    assert kb_state() == before


@pytest.mark.parametrize(
    ("data", "status", "field"),
    [
        ({"values": {"isp": "Lumen", "colour": "red"}}, 400, "values"),
        ({"values": {"isp": "Lumen", "support_phone": "call me"}}, 400, "values.support_phone"),
        ({"values": {"isp": ["a"]}}, 400, "values.isp"),
        ({"values": {f"k{n}": "x" for n in range(61)}}, 422, "values"),
        ({"template_id": 999_999}, 404, "template_id"),
        ({"visibility": "end_users"}, 422, "visibility"),
        ({"site_ids": [999_999]}, 404, "sites"),
    ],
)
def test_r34_bad_document_input_is_refused_with_the_error_shape_and_saves_nothing(world, data, status, field):
    acme = world["objects"]["mine"]["tenant"]
    before = kb_state()
    payload = {"client_id": acme.client.pk, "template_id": template("internet-isp").pk, **data}
    response = as_user(acme.poc).post("/api/v1/kb/documents", payload)
    assert response.status_code == status, response.content
    assert response.json()["field"] == field
    assert kb_state() == before


def test_r34_a_poc_cannot_mark_a_document_provider_only(world):
    acme = world["objects"]["mine"]["tenant"]
    response = as_user(acme.poc).patch(
        f"/api/v1/kb/documents/{world['objects']['mine']['document'].pk}", {"visibility": "internal"}
    )
    assert response.status_code == 400 and response.json()["code"] == "visibility_not_allowed"
    assert Document.objects.get(pk=world["objects"]["mine"]["document"].pk).visibility == "client"


# --- read-only tokens --------------------------------------------------------------------------


WRITES: list[tuple[str, Callable[[dict[str, Any]], str], Callable[[dict[str, Any]], dict[str, Any]] | None]] = [
    ("post", lambda o: "/api/v1/kb/articles", lambda o: {"client_id": o["mine"]["client"].pk, "title": "X"}),
    ("patch", lambda o: f"/api/v1/kb/articles/{o['mine']['article'].pk}", lambda o: {"title": "X"}),
    ("post", lambda o: f"/api/v1/kb/articles/{o['mine']['article'].pk}/status", lambda o: {"status": "draft"}),
    ("post", lambda o: f"/api/v1/kb/articles/{o['mine']['article'].pk}/restore", lambda o: {"version": 1}),
    ("put", lambda o: f"/api/v1/kb/articles/{o['mine']['article'].pk}/links", lambda o: {}),
    ("delete", lambda o: f"/api/v1/kb/articles/{o['mine']['article'].pk}", None),
    ("post", lambda o: "/api/v1/kb/templates", lambda o: {"name": "Printer"}),
    ("put", lambda o: f"/api/v1/kb/templates/{template('server').pk}", lambda o: {"name": "Server"}),
    (
        "post",
        lambda o: "/api/v1/kb/documents",
        lambda o: {"client_id": o["mine"]["client"].pk, "template_id": template("server").pk},
    ),
    ("patch", lambda o: f"/api/v1/kb/documents/{o['mine']['document'].pk}", lambda o: {"title": "X"}),
    ("delete", lambda o: f"/api/v1/kb/documents/{o['mine']['document'].pk}", None),
    ("post", lambda o: f"/api/v1/kb/documents/{o['mine']['document'].pk}/credentials", lambda o: {"name": "X"}),
    ("patch", lambda o: f"/api/v1/kb/credentials/{o['mine']['credential'].pk}", lambda o: {"password": "x"}),
    ("delete", lambda o: f"/api/v1/kb/credentials/{o['mine']['credential'].pk}", None),
    ("post", lambda o: f"/api/v1/kb/credentials/{o['mine']['credential'].pk}/reveal", lambda o: {"field": "notes"}),
    ("put", lambda o: f"/api/v1/kb/agreements/{o['mine']['agreement'].pk}/runbooks", lambda o: {"template_ids": []}),
    ("delete", lambda o: f"/api/v1/kb/agreements/{o['mine']['agreement'].pk}/runbooks", None),
]


@pytest.mark.parametrize(("method", "url", "data"), WRITES, ids=[f"{m} {i}" for i, (m, _, _) in enumerate(WRITES)])
def test_r34_a_read_only_token_cannot_write_and_nothing_is_saved(world, method, url, data):
    objs = world["objects"]
    http = as_user(world["admin"], "read")
    before = (kb_state(), CredentialAccess.objects.count(), AuditEntry.objects.count())
    call = getattr(http, method)
    response = call(url(objs), data(objs)) if data else call(url(objs))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert (kb_state(), CredentialAccess.objects.count(), AuditEntry.objects.count()) == before
    article = Article.objects.get(pk=objs["mine"]["article"].pk)
    assert article.title == "VPN at mine" and article.status == "published"


# --- the credential vault ----------------------------------------------------------------------


def test_r34_a_reveal_returns_the_secret_and_is_logged_for_the_client(world):
    objs = world["objects"]
    acme, credential = objs["mine"]["tenant"], objs["mine"]["credential"]
    http = as_user(acme.poc)
    response = http.post(f"/api/v1/kb/credentials/{credential.pk}/reveal", {"field": "password"}, REMOTE_ADDR="::1")
    assert response.status_code == 200
    assert response.json() == {"field": "password", "value": PASSWORD, "valid_for_seconds": None}
    assert response["Cache-Control"] == "no-store"
    code = http.post(f"/api/v1/kb/credentials/{credential.pk}/reveal", {"field": "totp"}).json()
    assert code["value"].isdigit() and len(code["value"]) == 6 and 0 < code["valid_for_seconds"] <= 30

    entry = CredentialAccess.objects.filter(client=acme.client).order_by("at", "id").first()
    assert entry.user == acme.poc and entry.outcome == RevealOutcome.REVEALED and entry.field == "password"
    assert entry.ip_address == "::1"
    # The POC reads their client's log, without the addresses; staff see the addresses.
    log = http.get("/api/v1/kb/credential-accesses").json()["items"]
    assert [row["field"] for row in log] == ["totp", "password"]
    assert {row["ip_address"] for row in log} == {None}
    staff_log = as_user(world["admin"]).get(f"/api/v1/kb/credential-accesses?client_id={acme.client.pk}").json()
    assert staff_log["items"][-1]["ip_address"] == "::1"
    assert as_user(acme.end_user).get("/api/v1/kb/credential-accesses").json()["items"] == []


def test_r34_revealing_another_clients_secret_is_a_404_and_logged_as_denied_for_that_client(world):
    objs = world["objects"]
    theirs = objs["theirs"]["credential"]
    for intruder in (objs["mine"]["tenant"].poc, objs["mine"]["tenant"].end_user, world["scoped_staff"]):
        response = as_user(intruder).post(f"/api/v1/kb/credentials/{theirs.pk}/reveal", {"field": "password"})
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert PASSWORD not in response.content.decode()
    denied = CredentialAccess.objects.filter(credential=theirs)
    assert denied.count() == 3
    assert {row.outcome for row in denied} == {RevealOutcome.DENIED}
    assert {row.client_id for row in denied} == {objs["theirs"]["client"].pk}
    # The owning client's POC sees the provider's staff attempt, not the names and addresses of
    # another client's people (those rows are the provider's); the intruder's own log shows nothing.
    their_log = as_user(objs["theirs"]["tenant"].poc).get("/api/v1/kb/credential-accesses").json()["items"]
    assert len(their_log) == 1 and {row["outcome"] for row in their_log} == {"denied"}
    assert denied.filter(visible_to_client=False).count() == 2
    assert as_user(objs["mine"]["tenant"].poc).get("/api/v1/kb/credential-accesses").json()["items"] == []
    # A missing credential is the same 404.
    missing = as_user(objs["mine"]["tenant"].poc).post("/api/v1/kb/credentials/999999/reveal", {"field": "password"})
    assert missing.status_code == 404 and missing.json() == {
        **response.json(),
    }


def test_r34_reveals_past_the_limit_are_429_with_the_error_shape_and_logged(world, settings):
    settings.KB_REVEAL_LIMIT = 2
    objs = world["objects"]
    credential = objs["mine"]["credential"]
    http = as_user(objs["mine"]["tenant"].poc)
    url = f"/api/v1/kb/credentials/{credential.pk}/reveal"
    assert [http.post(url, {"field": "notes"}).status_code for _ in range(2)] == [200, 200]
    refused = http.post(url, {"field": "notes"})
    assert refused.status_code == 429
    body = refused.json()
    assert body["code"] == "rate_limited" and set(body) == {"code", "message", "field", "problems"}
    assert NOTES not in refused.content.decode()
    outcomes = list(CredentialAccess.objects.filter(credential=credential).values_list("outcome", flat=True))
    assert sorted(outcomes) == ["rate_limited", "revealed", "revealed"]


def test_r34_no_secret_in_any_response_but_the_reveal(world):
    objs = world["objects"]
    acme, document = objs["mine"]["tenant"], objs["mine"]["document"]
    http = as_user(acme.poc)
    created = http.post(
        f"/api/v1/kb/documents/{document.pk}/credentials",
        {"name": "Wi-Fi", "username": "guest", "password": PASSWORD, "notes": NOTES, "totp_seed": SEED},
    )
    assert created.status_code == 201
    assert created.json()["has_password"] and created.json()["has_notes"] and created.json()["has_totp"]
    credential_id = created.json()["id"]
    patched = http.patch(f"/api/v1/kb/credentials/{credential_id}", {"notes": "", "username": "guest2"})
    assert patched.json()["has_notes"] is False and patched.json()["has_password"] is True
    assert patched.json()["username"] == "guest2"
    stored = Credential.objects.get(pk=credential_id)
    assert stored.password.reveal() == PASSWORD and stored.notes is None and stored.name == "Wi-Fi"

    responses = [
        created,
        patched,
        http.get(f"/api/v1/kb/documents/{document.pk}"),
        http.get("/api/v1/kb/documents?limit=1000"),
        http.get("/api/v1/kb/search?q=firewall"),
        http.get("/api/v1/kb/credential-accesses"),
        as_user(world["admin"]).get(f"/api/v1/kb/documents/{document.pk}"),
    ]
    for response in responses:
        assert response.status_code == 200 or response.status_code == 201
        text = response.content.decode()
        for secret in SECRETS:
            assert secret not in text
    detail = responses[2].json()
    assert {c["name"] for c in detail["credentials"]} == {"Firewall admin", "Wi-Fi"}
    assert set(detail["credentials"][0]) == {
        "id", "document_id", "client_id", "name", "username", "url", "has_password", "has_notes", "has_totp",
        "updated_at",
    }  # fmt: skip


def test_r34_a_staff_reader_without_the_knowledge_role_sees_no_credentials_and_cannot_reveal(world):
    objs = world["objects"]
    billing = make_staff("billing").user
    http = as_user(billing)
    detail = http.get(f"/api/v1/kb/documents/{objs['mine']['document'].pk}").json()
    assert detail["credentials"] == [] and detail["may_edit"] is False
    response = http.post(f"/api/v1/kb/credentials/{objs['mine']['credential'].pk}/reveal", {"field": "password"})
    assert response.status_code == 404
    assert CredentialAccess.objects.get(user=billing).outcome == RevealOutcome.DENIED


# --- documents and templates ---------------------------------------------------------------------


def test_r34_a_poc_documents_their_environment_and_the_values_are_typed(world):
    acme = world["objects"]["mine"]["tenant"]
    http = as_user(acme.poc)
    server = template("server")
    response = http.post(
        "/api/v1/kb/documents",
        {"client_id": acme.client.pk, "template_id": server.pk, "values": {"ip_address": "10.0.0.5", "virtual": "yes"}},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == server.name and body["values"] == {"ip_address": "10.0.0.5", "virtual": True}
    assert body["missing_fields"] == ["Role"] and body["may_edit"] is True
    assert body["template"]["slug"] == "server" and body["fields"][0]["key"] == "role"

    url = f"/api/v1/kb/documents/{body['id']}"
    changed = http.patch(url, {"values": {"role": "File server"}, "body": "**Rack 2**"}).json()
    assert changed["values"] == {"role": "File server"} and changed["missing_fields"] == []
    assert changed["body_html"] == "<p><strong>Rack 2</strong></p>\n" and changed["title"] == server.name
    listed = http.get(f"/api/v1/kb/documents?template_id={server.pk}").json()["items"]
    assert [item["id"] for item in listed] == [body["id"]] and listed[0]["credential_count"] == 0
    assert http.delete(url).status_code == 204
    assert not Document.objects.filter(pk=body["id"]).exists()


def test_r34_end_users_read_no_documents(world):
    objs = world["objects"]
    http = as_user(objs["mine"]["tenant"].end_user)
    assert http.get("/api/v1/kb/documents").json()["items"] == []
    assert http.get(f"/api/v1/kb/documents/{objs['mine']['document'].pk}").status_code == 404
    assert http.get("/api/v1/kb/templates").status_code == 403


def test_r34_provider_only_documents_are_hidden_from_the_poc(world):
    objs = world["objects"]
    acme = objs["mine"]["tenant"]
    internal = documented(acme, actor=world["admin"], visibility="internal", title="Core switch")
    http = as_user(acme.poc)
    assert http.get(f"/api/v1/kb/documents/{internal.pk}").status_code == 404
    assert internal.pk not in {item["id"] for item in http.get("/api/v1/kb/documents").json()["items"]}
    assert as_user(world["admin"]).get(f"/api/v1/kb/documents/{internal.pk}").status_code == 200


def test_r34_only_template_editors_change_templates_and_a_used_field_keeps_its_type(world):
    acme = world["objects"]["mine"]["tenant"]
    data = {
        "name": "Printer",
        "fields": [{"key": "model", "label": "Model", "type": "text", "required": True}],
        "body_template": "## Notes",
    }
    assert as_user(acme.poc).post("/api/v1/kb/templates", data).status_code == 403
    assert as_user(make_staff("technician").user).post("/api/v1/kb/templates", data).status_code == 403
    assert not DocumentTemplate.objects.filter(name="Printer").exists()

    editor = as_user(make_staff("technology_alignment_engineer").user)
    created = editor.post("/api/v1/kb/templates", data)
    assert created.status_code == 201, created.content
    printer = created.json()
    assert printer["slug"] == "printer" and printer["fields"][0]["required"] is True
    assert printer["id"] in {item["id"] for item in as_user(acme.poc).get("/api/v1/kb/templates").json()}

    document = as_user(acme.poc).post(
        "/api/v1/kb/documents",
        {"client_id": acme.client.pk, "template_id": printer["id"], "values": {"model": "HP 400"}},
    )
    assert document.status_code == 201 and document.json()["body"] == "## Notes"
    retyped = {**data, "fields": [{"key": "model", "label": "Model", "type": "number"}]}
    conflict = editor.put(f"/api/v1/kb/templates/{printer['id']}", retyped)
    assert conflict.status_code == 409 and conflict.json()["code"] == "template_in_use"
    assert DocumentTemplate.objects.get(pk=printer["id"]).fields[0]["type"] == "text"
    retired = editor.put(f"/api/v1/kb/templates/{printer['id']}", {**data, "is_active": False})
    assert retired.status_code == 200 and retired.json()["is_active"] is False
    assert printer["id"] not in {t["id"] for t in as_user(acme.poc).get("/api/v1/kb/templates").json()}
    assert editor.get("/api/v1/kb/templates/1").status_code in (404, 405)
    assert printer["id"] in {t["id"] for t in editor.get("/api/v1/kb/templates?include_retired=true").json()}
    bad = editor.post("/api/v1/kb/templates", {"name": "Bad", "fields": [{"key": "A b", "label": "x", "type": "text"}]})
    assert bad.status_code == 400 and bad.json()["code"] == "template_field_invalid"
    assert editor.put("/api/v1/kb/templates/999999", data).status_code == 404


# --- runbooks (R27) ----------------------------------------------------------------------------


def test_r27_runbook_status_and_checklist_through_the_api(world):
    objs = world["objects"]
    acme = objs["mine"]["tenant"]
    url = f"/api/v1/kb/agreements/{acme.agreement.pk}/runbooks"
    status = as_user(acme.poc).get(url).json()
    assert status["customised"] is False and status["complete"] is False
    assert status["total"] == DocumentTemplate.objects.filter(required_for_coverage=True).count()
    assert {item["state"] for item in status["items"]} == {"missing"}
    assert as_user(acme.end_user).get(url).status_code == 403

    # A POC may not change the checklist; someone who changes agreements may.
    assert as_user(acme.poc).put(url, {"template_ids": []}).status_code == 403
    pm = as_user(world["scoped_staff"])
    isp = template("internet-isp")
    chosen = pm.put(url, {"template_ids": [isp.pk]}).json()
    assert chosen["customised"] is True and chosen["total"] == 1
    item = chosen["items"][0]
    assert item["state"] == "complete" and item["document_id"] == objs["mine"]["document"].pk
    assert chosen["complete"] is True and chosen["done"] == 1
    server = template("server")
    documented(acme, slug="server", title="File server")
    Document.objects.filter(template=server).update(values={})
    partial = pm.put(url, {"template_ids": [server.pk]}).json()["items"][0]
    assert partial["state"] == "incomplete" and partial["missing_fields"] == ["Role"]
    refused = pm.put(url, {"template_ids": [999_999]})
    assert refused.status_code == 404 and refused.json()["field"] == "template_ids"
    assert list(RunbookChecklist.objects.get(agreement=acme.agreement).templates.all()) == [server]

    reset = pm.delete(url).json()
    assert reset["customised"] is False and not RunbookChecklist.objects.filter(agreement=acme.agreement).exists()


# --- search ------------------------------------------------------------------------------------


def test_r34_search_never_returns_another_clients_rows(world):
    objs = world["objects"]
    for label in ("mine", "theirs"):
        tenant = objs[label]["tenant"]
        article_create(
            actor=world["admin"], client=tenant.client, title=f"Zebra printer {label}", visibility="end_users",
            publish=True,
        )  # fmt: skip
        article_create(
            actor=world["admin"], client=tenant.client, title=f"Zebra internal {label}", visibility="internal"
        )
        documented(tenant, title=f"Zebra line {label}")
    mine = objs["mine"]["client"].pk
    for user in (objs["mine"]["tenant"].poc, objs["mine"]["tenant"].end_user, world["scoped_staff"]):
        results = as_user(user).get("/api/v1/kb/search?q=zebra").json()
        assert results, user
        assert {row["client_id"] for row in results} == {mine}
        assert all("theirs" not in row["title"] for row in results)
    end_user = as_user(objs["mine"]["tenant"].end_user).get("/api/v1/kb/search?q=zebra").json()
    assert [row["title"] for row in end_user] == ["Zebra printer mine"]
    poc = as_user(objs["mine"]["tenant"].poc).get("/api/v1/kb/search?q=zebra&kinds=document").json()
    assert [(row["kind"], row["title"]) for row in poc] == [("document", "Zebra line mine")]
    snippets = [row["snippet"] for row in as_user(objs["mine"]["tenant"].poc).get("/api/v1/kb/search?q=lumen").json()]
    assert snippets and all("<mark>Lumen</mark>" in snippet for snippet in snippets)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("q=" + "x" * 1001, 422),
        ("q=ok&kinds=secrets", 400),
        ("q=ok&limit=101", 422),
        ("q=%22%29%20OR%201%3D1--", 200),
        ("q=NEAR(a%20b)%20*", 200),
        ("", 422),
    ],
)
def test_r34_search_input_is_data_never_a_500(world, query, status):
    response = as_user(world["admin"]).get(f"/api/v1/kb/search?{query}")
    assert response.status_code == status, response.content


# --- the contract of the schemas -----------------------------------------------------------------


def test_schema_literals_match_the_model_choices():
    for literal, choices in schemas.LITERAL_CHOICES.items():
        assert set(typing.get_args(literal)) == set(choices.values), literal


def test_openapi_lists_the_knowledge_base_under_its_tag(client):
    client.force_login(make_staff("admin").user)
    spec = client.get("/api/openapi.json").json()
    paths = [path for path in spec["paths"] if path.startswith("/api/v1/kb/")]
    assert "/api/v1/kb/credentials/{credential_id}/reveal" in paths
    for path in paths:
        for operation in spec["paths"][path].values():
            assert operation["tags"] == ["Knowledge base"] and operation.get("description")
    reveal = spec["paths"]["/api/v1/kb/credentials/{credential_id}/reveal"]["post"]
    assert "429" in reveal["responses"]


def test_r34_revealing_a_secret_the_credential_does_not_have_is_a_400(world):
    objs = world["objects"]
    http = as_user(objs["mine"]["tenant"].poc)
    bare = http.post(f"/api/v1/kb/documents/{objs['mine']['document'].pk}/credentials", {"name": "Bare"}).json()
    for field in ("password", "notes", "totp"):
        response = http.post(f"/api/v1/kb/credentials/{bare['id']}/reveal", {"field": field})
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "no_secret" and response.json()["field"] == "field"


# --- export and import -------------------------------------------------------------------------


def test_r34_a_poc_exports_their_clients_knowledge_base_without_secrets(world):
    objs = world["objects"]
    acme = objs["mine"]["tenant"]
    response = as_user(acme.poc).get(f"/api/v1/kb/clients/{acme.client.pk}/export")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert (
        response["Content-Disposition"].startswith('attachment; filename="kb-')
        and "no-store" in response["Cache-Control"]
    )
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    text = " ".join(archive.read(name).decode() for name in archive.namelist())
    assert "VPN at mine" in text and "Fibre line" in text and "Firewall admin" in text
    assert "VPN at theirs" not in text
    for secret in SECRETS:
        assert secret not in text
    assert as_user(acme.end_user).get(f"/api/v1/kb/clients/{acme.client.pk}/export").status_code == 403
    assert as_user(acme.poc).get(f"/api/v1/kb/clients/{objs['theirs']['client'].pk}/export").status_code == 404


def upload(name: str, text: str) -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, text.encode(), content_type="text/markdown")}


def test_r34_a_poc_imports_markdown_as_drafts_and_refusals_create_nothing(world):
    objs = world["objects"]
    acme, theirs = objs["mine"]["tenant"], objs["theirs"]["client"]
    url = f"/api/v1/kb/clients/{acme.client.pk}/import"
    response = bearer(acme.poc).post(url, upload("printers.md", "# Printers\n\nUse the *blue* one."))
    assert response.status_code == 200, response.content
    assert response.json() == {"created": ["Printers"], "skipped": []}
    article = Article.objects.get(client=acme.client, title="Printers")
    assert article.status == "draft" and article.visibility == "client"

    before = kb_state()
    refusals = [
        (bearer(acme.poc), url, upload("virus.exe", "MZ"), 400),
        (bearer(acme.poc, "read"), url, upload("a.md", "# A"), 403),
        (bearer(acme.end_user), url, upload("a.md", "# A"), 403),
        (bearer(acme.poc), f"/api/v1/kb/clients/{theirs.pk}/import", upload("a.md", "# A"), 404),
        (bearer(world["scoped_staff"]), f"/api/v1/kb/clients/{theirs.pk}/import", upload("a.md", "# A"), 404),
        (bearer(acme.poc), url, {}, 422),
        (HttpClient(), url, upload("a.md", "# A"), 401),
    ]
    for http, target, data, status in refusals:
        response = http.post(target, data)
        assert response.status_code == status, (target, response.content)
        assert set(response.json()) == {"code", "message", "field", "problems"}
    assert kb_state() == before
    assert bearer(acme.poc).post(url, upload("virus.exe", "MZ")).json()["field"] == "upload"
