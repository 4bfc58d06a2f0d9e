"""The webhook admin pages: opened by the role table, URL rule beside the field, deliveries read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from comanaged.core.testing import assert_isolated
from comanaged.tenancy.tests.factories import PersonFactory, make_staff, sign_in_person
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint
from comanaged.webhooks.services import emit, webhook_endpoint_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def endpoint(allow_loopback):
    row = WebhookEndpoint(name="PSA", url="http://127.0.0.1:9/hook", events=["ticket.created"])
    return webhook_endpoint_save(endpoint=row, actor=None)


def test_the_pages_are_for_the_webhooks_roles_only(client, endpoint):
    emit("ticket.created", {}, client_id=None)
    admin = make_staff("admin").user
    for url in (
        reverse("admin:webhooks_webhookendpoint_changelist"),
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]),
        reverse("admin:webhooks_webhookdelivery_changelist"),
        reverse("admin:webhooks_webhookdelivery_change", args=[WebhookDelivery.objects.get().pk]),
    ):
        assert_isolated(client, url, owner=admin, wrong_role=make_staff("technician").user)
        client.force_login(sign_in_person(PersonFactory(level="poc")))
        assert client.get(url).status_code in (302, 403, 404)


def test_a_refused_url_shows_beside_the_field_and_nothing_changes(client, endpoint, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    client.force_login(make_staff("admin").user)
    url = reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk])
    response = client.post(
        url, {"name": "PSA", "url": "http://10.0.0.5/hook", "events": '["ticket.created"]', "is_active": "on"}
    )
    assert response.status_code == 200
    assert "private address 10.0.0.5" in str(response.context["adminform"].form.errors["url"])
    assert WebhookEndpoint.objects.get().url == "http://127.0.0.1:9/hook"


def test_deliveries_cannot_be_added_changed_or_deleted_and_endpoints_are_created_through_the_api(client, endpoint):
    emit("ticket.created", {}, client_id=None)
    client.force_login(make_staff("admin").user)
    delivery = WebhookDelivery.objects.get()
    assert client.get(reverse("admin:webhooks_webhookdelivery_add")).status_code == 403
    assert client.get(reverse("admin:webhooks_webhookendpoint_add")).status_code == 403
    client.post(reverse("admin:webhooks_webhookdelivery_delete", args=[delivery.pk]), {"post": "yes"})
    assert WebhookDelivery.objects.filter(pk=delivery.pk).exists()
