"""The webhooks API: who may call it, the secret shown once, validation that never 500s, audit."""

from __future__ import annotations

import json

import pytest
from django.forms.models import model_to_dict

from comanaged.api.tests.conftest import bearer
from comanaged.core.models import AuditEntry
from comanaged.core.testing import assert_isolated
from comanaged.tenancy.tests.factories import ClientFactory, PersonFactory, make_staff, sign_in_person
from comanaged.webhooks import delivery as deliveries
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint, revealed
from comanaged.webhooks.services import emit
from comanaged.webhooks.signing import verify_signature

pytestmark = pytest.mark.django_db

BASE = "/api/v1/webhooks"


@pytest.fixture
def admin():
    return make_staff("admin").user


def create(http, admin, receiver_url, **body):
    http.force_login(admin)
    data = {"name": "PSA", "url": receiver_url, "events": ["ticket.created", "ticket.escalated"], **body}
    return http.post(f"{BASE}/endpoints", data)


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(http, admin, receiver, allow_loopback):
    response = create(http, admin, receiver.url())
    assert response.status_code == 201, response.json()
    created = response.json()
    secret = created["secret"]
    assert len(secret) >= 43  # 256 bits, URL-safe
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert revealed(endpoint.secret) == secret
    assert created["events"] == ["ticket.created", "ticket.escalated"] and created["client_id"] is None

    shown = http.get(f"{BASE}/endpoints/{endpoint.pk}").json()
    assert "secret" not in shown and shown["url"] == receiver.url()
    assert secret not in json.dumps(http.get(f"{BASE}/endpoints").json())

    # the audit log records the creation with a fingerprint, never the secret
    entry = AuditEntry.objects.get(object_type="webhooks.webhookendpoint", action="create")
    assert entry.actor_id == admin.pk
    assert secret not in json.dumps(entry.changes)
    assert entry.changes["secret"][1].startswith("[secret] ")

    # what the receiver gets is signed with that secret
    emit("ticket.created", {"ticket": "T-1"}, client_id=None)
    deliveries.attempt_delivery(WebhookDelivery.objects.get().pk)
    [request] = receiver.requests
    assert verify_signature(secret, request.headers["X-Comanaged-Signature"], request.body)


def test_rotating_the_secret_shows_the_new_one_once_and_can_keep_the_old_one_valid(
    http, admin, receiver, allow_loopback
):
    old = create(http, admin, receiver.url()).json()
    rotated = http.post(f"{BASE}/endpoints/{old['id']}/rotate-secret")
    assert rotated.status_code == 200, rotated.json()
    new = rotated.json()["secret"]
    assert new != old["secret"] and rotated.json()["previous_secret_expires_at"] is None

    emit("ticket.created", {}, client_id=None)
    deliveries.attempt_delivery(WebhookDelivery.objects.latest("id").pk)
    header = receiver.requests[-1].headers["X-Comanaged-Signature"]
    assert verify_signature(new, header, receiver.requests[-1].body)
    assert not verify_signature(old["secret"], header, receiver.requests[-1].body)

    graceful = http.post(f"{BASE}/endpoints/{old['id']}/rotate-secret?previous_valid_for_hours=24")
    assert graceful.status_code == 200 and graceful.json()["previous_secret_expires_at"] is not None
    newest = graceful.json()["secret"]
    emit("ticket.created", {}, client_id=None)
    deliveries.attempt_delivery(WebhookDelivery.objects.latest("id").pk)
    header, body = receiver.requests[-1].headers["X-Comanaged-Signature"], receiver.requests[-1].body
    assert verify_signature(newest, header, body) and verify_signature(new, header, body)

    entries = AuditEntry.objects.filter(object_type="webhooks.webhookendpoint", action="rotate_secret")
    assert entries.count() == 2
    assert all(new not in json.dumps(e.changes) and newest not in json.dumps(e.changes) for e in entries)
    assert http.post(f"{BASE}/endpoints/{old['id']}/rotate-secret?previous_valid_for_hours=1000").status_code == 422


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1/hook", "loopback address 127.0.0.1"),
        ("http://localhost/hook", "localhost resolves to a loopback address"),
        ("http://10.1.2.3/", "private address 10.1.2.3"),
        ("http://169.254.169.254/latest/meta-data/", "link-local address 169.254.169.254"),
        ("http://[::1]/", "loopback address ::1"),
        ("http://[::ffff:127.0.0.1]/", "loopback address 127.0.0.1"),
        ("ftp://files.example/in", "http or https"),
        ("http://user:pw@8.8.8.8/", "user name or password"),
        ("not a url", "spaces"),
    ],
)
def test_an_internal_or_malformed_url_is_refused_naming_the_reason_and_nothing_is_saved(http, admin, url, reason):
    response = create(http, admin, url)
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "webhook_url_not_allowed" and body["field"] == "url"
    assert reason in body["message"]
    assert not WebhookEndpoint.objects.exists()
    assert not AuditEntry.objects.filter(object_type="webhooks.webhookendpoint").exists()


def test_an_unknown_event_is_a_422_naming_it(http, admin, allow_loopback):
    response = create(http, admin, "http://127.0.0.1:9/hook", events=["ticket.created", "ticket.deleted"])
    assert response.status_code == 422
    body = response.json()
    assert body["field"] == "events" and "ticket.deleted" in body["message"] and "ticket.escalated" in body["message"]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "url": "http://127.0.0.1:9/", "events": []},
        {"name": "x", "url": "http://127.0.0.1:9/", "events": "ticket.created"},
        {"name": "x", "url": "http://127.0.0.1:9/", "events": [1]},
        {"name": "", "url": "http://127.0.0.1:9/", "events": ["ticket.created"]},
        {"name": "x" * 101, "url": "http://127.0.0.1:9/", "events": ["ticket.created"]},
        {"name": "x", "url": "http://127.0.0.1:9/" + "a" * 2000, "events": ["ticket.created"]},
        {"name": "x", "url": "http://127.0.0.1:9/", "events": ["ticket.created"], "client_id": 0},
        {"name": "x", "url": "http://127.0.0.1:9/", "events": ["ticket.created"], "client_id": 2**63},
        {"name": "x", "url": "http://127.0.0.1:9/", "events": ["ticket.created"], "secret": "mine"},
        {"name": "x", "url": ["http://127.0.0.1:9/"], "events": ["ticket.created"]},
        {"url": "http://127.0.0.1:9/", "events": ["ticket.created"]},
    ],
)
def test_invalid_input_is_a_422_never_a_500(http, admin, allow_loopback, body):
    http.force_login(admin)
    response = http.post(f"{BASE}/endpoints", body)
    assert response.status_code == 422, response.json()
    assert not WebhookEndpoint.objects.exists()


def test_a_nul_character_in_the_name_is_refused_not_stored(http, admin, allow_loopback):
    response = create(http, admin, "http://127.0.0.1:9/", name="a\x00b")
    assert response.status_code == 422 and response.json()["field"] == "name"  # the shared input schemas refuse NUL
    assert not WebhookEndpoint.objects.exists()


def test_a_client_id_the_caller_cannot_see_is_not_found(http, admin, allow_loopback):
    response = create(http, admin, "http://127.0.0.1:9/", client_id=987654)
    assert response.status_code == 404 and response.json()["field"] == "client_id"


def test_endpoints_can_be_narrowed_to_a_client_changed_and_deleted(http, admin, allow_loopback):
    client = ClientFactory()
    created = create(http, admin, "http://127.0.0.1:9/a", client_id=client.pk).json()
    assert created["client_id"] == client.pk
    url = f"{BASE}/endpoints/{created['id']}"
    changed = http.patch(url, {"name": "Renamed", "is_active": False, "client_id": None, "events": ["ticket.updated"]})
    assert changed.status_code == 200, changed.json()
    assert changed.json() | {"updated_at": None} == changed.json() | {
        "name": "Renamed",
        "is_active": False,
        "client_id": None,
        "events": ["ticket.updated"],
        "updated_at": None,
    }
    assert http.patch(url, {"url": "http://10.0.0.1/"}).json()["code"] == "webhook_url_not_allowed"
    assert http.patch(url, {"events": ["nope"]}).status_code == 422
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:9/a"
    assert http.delete(url).status_code == 204
    assert not WebhookEndpoint.objects.exists()
    assert AuditEntry.objects.filter(object_type="webhooks.webhookendpoint", action="delete").count() == 1


def test_disabling_an_endpoint_whose_host_no_longer_passes_still_works(http, admin, allow_loopback, settings):
    created = create(http, admin, "http://127.0.0.1:9/a").json()
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    url = f"{BASE}/endpoints/{created['id']}"
    assert http.patch(url, {"is_active": False, "name": "Off"}).status_code == 200
    enabled = http.patch(url, {"is_active": True})  # re-enabling checks the URL again
    assert enabled.status_code == 400 and enabled.json()["code"] == "webhook_url_not_allowed"


def test_deliveries_are_listed_newest_first_with_cursor_paging_and_can_be_redelivered(http, admin, allow_loopback):
    created = create(http, admin, "http://127.0.0.1:9/a").json()
    for n in range(3):
        emit("ticket.created", {"n": n}, client_id=None)
    response = http.get(f"{BASE}/endpoints/{created['id']}/deliveries", {"limit": 2})
    assert response.status_code == 200
    page = response.json()
    assert [d["payload"]["n"] for d in page["items"]] == [2, 1]
    assert page["items"][0]["status"] == "pending" and page["next"]
    rest = http.get(page["next"]).json()
    assert [d["payload"]["n"] for d in rest["items"]] == [0] and rest["next"] is None
    assert http.get(f"{BASE}/endpoints/{created['id']}/deliveries", {"status": "dead"}).json()["items"] == []
    assert http.get(f"{BASE}/endpoints/{created['id']}/deliveries", {"status": "bogus"}).status_code == 422

    original = page["items"][1]
    again = http.post(f"{BASE}/deliveries/{original['id']}/redeliver")
    assert again.status_code == 202, again.json()
    assert again.json()["event_id"] == original["event_id"] and again.json()["id"] != original["id"]
    assert AuditEntry.objects.filter(object_type="webhooks.webhookdelivery", action="redeliver").count() == 1

    WebhookEndpoint.objects.update(is_active=False)
    refused = http.post(f"{BASE}/deliveries/{original['id']}/redeliver")
    assert refused.status_code == 400 and refused.json()["code"] == "webhook_endpoint_inactive"


def test_the_event_list_names_the_fixed_set(http, admin):
    http.force_login(admin)
    assert http.get(f"{BASE}/events").json() == {
        "events": ["ticket.created", "ticket.updated", "ticket.escalated", "ticket.sla_warning", "ticket.sla_breached"]
    }


def test_dispatchers_read_but_only_admins_change(http, admin, allow_loopback):
    created = create(http, admin, "http://127.0.0.1:9/a").json()
    http.force_login(make_staff("dispatcher").user)
    assert http.get(f"{BASE}/endpoints").status_code == 200
    assert http.get(f"{BASE}/endpoints/{created['id']}").status_code == 200
    body = {"name": "x", "url": "http://127.0.0.1:9/", "events": ["ticket.created"]}
    assert http.post(f"{BASE}/endpoints", body).status_code == 403
    assert http.post(f"{BASE}/endpoints/{created['id']}/rotate-secret").status_code == 403
    for role in ("technician", "billing", "onboarding_pm", "strategic_advisor"):
        http.force_login(make_staff(role).user)
        assert http.get(f"{BASE}/endpoints").status_code == 403, role
        assert http.get(f"{BASE}/events").status_code == 403, role


def test_a_clients_people_are_refused_everything(http, admin, allow_loopback):
    created = create(http, admin, "http://127.0.0.1:9/a").json()
    poc = sign_in_person(PersonFactory(level="poc"))
    http.force_login(poc)
    assert http.get(f"{BASE}/endpoints").status_code == 403
    assert http.get(f"{BASE}/events").status_code == 403
    assert http.get(f"{BASE}/endpoints/{created['id']}").status_code == 404
    assert http.post(f"{BASE}/endpoints/{created['id']}/rotate-secret").status_code == 404


def test_a_read_only_token_cannot_create_or_rotate(admin, allow_loopback, http):
    created = create(http, admin, "http://127.0.0.1:9/a").json()
    reader = bearer(admin, scope="read")
    body = json.dumps({"name": "x", "url": "http://127.0.0.1:9/", "events": ["ticket.created"]})
    assert reader.post(f"{BASE}/endpoints", body, content_type="application/json").status_code == 403
    assert reader.post(f"{BASE}/endpoints/{created['id']}/rotate-secret").status_code == 403
    assert reader.get(f"{BASE}/endpoints").status_code == 200


@pytest.fixture
def isolation(admin, allow_loopback):
    """An endpoint for one client with a delivery; a dispatcher (reads, may not change), a
    technician (no webhooks role) and that client's POC (not provider staff) as callers."""
    client = ClientFactory()
    endpoint = WebhookEndpoint(name="Client PSA", url="http://127.0.0.1:9/", events=["ticket.created"], client=client)
    from comanaged.webhooks.services import webhook_endpoint_save

    webhook_endpoint_save(endpoint=endpoint, actor=None)
    emit("ticket.created", {}, client_id=client.pk)
    return {
        "endpoint": endpoint,
        "delivery": WebhookDelivery.objects.get(),
        "dispatcher": make_staff("dispatcher").user,
        "technician": make_staff("technician").user,
        "poc": sign_in_person(PersonFactory(client=client, level="poc")),
    }


def _state(endpoint):
    return lambda: (
        model_to_dict(WebhookEndpoint.objects.get(pk=endpoint.pk)),
        WebhookEndpoint.objects.get(pk=endpoint.pk).secret.token,
        WebhookDelivery.objects.count(),
    )


@pytest.mark.parametrize(
    ("method", "path", "data", "wrong"),
    [
        ("get", "/endpoints/{e}", None, "technician"),
        ("get", "/endpoints/{e}/deliveries", None, "technician"),
        ("patch", "/endpoints/{e}", {"name": "Changed"}, "dispatcher"),
        ("post", "/endpoints/{e}/rotate-secret", None, "dispatcher"),
        ("post", "/deliveries/{d}/redeliver", None, "dispatcher"),
        ("delete", "/endpoints/{e}", None, "dispatcher"),
    ],
)
def test_each_endpoint_is_isolated(http, admin, isolation, method, path, data, wrong):
    """Anonymous → 401, a role without the right → 403, a client's POC → 404 like a missing
    endpoint, the admin → through; no refused request changes anything."""
    url = BASE + path.format(e=isolation["endpoint"].pk, d=isolation["delivery"].pk)
    assert_isolated(
        http,
        url,
        owner=admin,
        outsider=isolation["poc"],
        wrong_role=isolation[wrong],
        method=method,
        data=data,
        state=_state(isolation["endpoint"]),
        owner_statuses=(200, 202, 204),
    )


def test_missing_and_out_of_range_ids_are_404s(http, admin):
    http.force_login(admin)
    for url in (f"{BASE}/endpoints/999999", f"{BASE}/endpoints/{2**63}", f"{BASE}/endpoints/0/deliveries"):
        assert http.get(url).status_code == 404, url
    assert http.post(f"{BASE}/deliveries/999999/redeliver").status_code == 404


def test_the_openapi_document_lists_the_webhook_operations(http, admin):
    http.force_login(admin)
    paths = http.get("/api/openapi.json").json()["paths"]
    assert {"/api/v1/webhooks/endpoints", "/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret"} <= set(paths)
