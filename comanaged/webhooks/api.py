"""REST endpoints of outgoing webhooks: endpoints, secret rotation, deliveries, redelivery.

Provider staff with the webhooks area only (admins change, dispatchers read); a client's people
are refused. Secrets appear in a response exactly twice: when an endpoint is created and when
its secret is rotated.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from comanaged.core.pagination import page_of
from comanaged.tenancy.access import ensure_edit, ensure_view, referenced, scoped_or_404
from comanaged.tenancy.api import Page, PageQuery
from comanaged.tenancy.models import Client
from comanaged.tenancy.permissions import Area
from comanaged.webhooks import services
from comanaged.webhooks.choices import EVENTS, DeliveryStatus
from comanaged.webhooks.models import WebhookDelivery, WebhookEndpoint, revealed
from comanaged.webhooks.schemas import (
    DeliveryOut,
    EndpointFields,
    EndpointIn,
    EndpointOut,
    EndpointWithSecret,
    EventsOut,
    RotateOptions,
)

router = Router(tags=["Webhooks"])


class EndpointPage(Page):
    items: list[EndpointOut]


class DeliveryPage(Page):
    items: list[DeliveryOut]


class EndpointFilters(PageQuery):
    is_active: bool | None = None


class DeliveryFilters(PageQuery):
    status: DeliveryStatus | None = None


def _with_secret(endpoint: WebhookEndpoint, secret: str) -> WebhookEndpoint:
    endpoint.shown_secret = secret  # type: ignore[attr-defined]  # for this one response only
    return endpoint


def _apply(request: HttpRequest, endpoint: WebhookEndpoint, data: dict[str, Any]) -> None:
    if "client_id" in data:
        endpoint.client = referenced(Client.objects, request.user, data.pop("client_id"), "client_id")
    for name, value in data.items():
        if value is not None:  # name, url, events and is_active have no "unset"
            setattr(endpoint, name, value)


@router.get("/webhooks/events", response=EventsOut, summary="The events an endpoint may subscribe to")
def list_events(request: HttpRequest) -> Any:
    ensure_view(request, Area.WEBHOOKS)
    return {"events": list(EVENTS)}


@router.get("/webhooks/endpoints", response=EndpointPage, summary="Webhook endpoints")
def list_endpoints(request: HttpRequest, response: HttpResponse, filters: Query[EndpointFilters]) -> Any:
    ensure_view(request, Area.WEBHOOKS)
    queryset = WebhookEndpoint.objects.for_user(request.user)
    if filters.is_active is not None:
        queryset = queryset.filter(is_active=filters.is_active)
    return page_of(
        request, response, queryset, filters, default="name", allowed={"name": "name", "created_at": "created_at"}
    )


@router.post(
    "/webhooks/endpoints",
    response={201: EndpointWithSecret},
    summary="Create an endpoint (its signing secret is shown once, in this response)",
)
def create_endpoint(request: HttpRequest, payload: EndpointIn) -> Any:
    ensure_edit(request, Area.WEBHOOKS)
    endpoint = WebhookEndpoint()
    _apply(request, endpoint, payload.dict())
    services.webhook_endpoint_save(endpoint=endpoint, actor=request.user)
    return Status(201, _with_secret(endpoint, revealed(endpoint.secret)))


@router.get("/webhooks/endpoints/{endpoint_id}", response=EndpointOut)
def get_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    endpoint = scoped_or_404(WebhookEndpoint.objects, request.user, endpoint_id)
    ensure_view(request, Area.WEBHOOKS)
    return endpoint


@router.patch("/webhooks/endpoints/{endpoint_id}", response=EndpointOut)
def update_endpoint(request: HttpRequest, endpoint_id: int, payload: EndpointFields) -> Any:
    endpoint = scoped_or_404(WebhookEndpoint.objects, request.user, endpoint_id)
    ensure_edit(request, Area.WEBHOOKS)
    _apply(request, endpoint, payload.dict(exclude_unset=True))
    return services.webhook_endpoint_save(endpoint=endpoint, actor=request.user)


@router.delete("/webhooks/endpoints/{endpoint_id}", response={204: None})
def delete_endpoint(request: HttpRequest, endpoint_id: int) -> Any:
    endpoint = scoped_or_404(WebhookEndpoint.objects, request.user, endpoint_id)
    ensure_edit(request, Area.WEBHOOKS)
    services.webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    return Status(204, None)


@router.post(
    "/webhooks/endpoints/{endpoint_id}/rotate-secret",
    response=EndpointWithSecret,
    summary="Replace the signing secret (the new one is shown once, in this response)",
)
def rotate_secret(request: HttpRequest, endpoint_id: int, options: Query[RotateOptions]) -> Any:
    endpoint = scoped_or_404(WebhookEndpoint.objects, request.user, endpoint_id)
    ensure_edit(request, Area.WEBHOOKS)
    secret = services.webhook_secret_rotate(
        endpoint=endpoint, actor=request.user, previous_valid_for=dt.timedelta(hours=options.previous_valid_for_hours)
    )
    return _with_secret(endpoint, secret)


@router.get("/webhooks/endpoints/{endpoint_id}/deliveries", response=DeliveryPage, summary="An endpoint's deliveries")
def list_deliveries(
    request: HttpRequest, response: HttpResponse, endpoint_id: int, filters: Query[DeliveryFilters]
) -> Any:
    endpoint = scoped_or_404(WebhookEndpoint.objects, request.user, endpoint_id)
    ensure_view(request, Area.WEBHOOKS)
    queryset = WebhookDelivery.objects.filter(endpoint=endpoint)
    if filters.status is not None:
        queryset = queryset.filter(status=filters.status)
    return page_of(request, response, queryset, filters, default="-created_at", allowed={"created_at": "created_at"})


@router.post(
    "/webhooks/deliveries/{delivery_id}/redeliver",
    response={202: DeliveryOut},
    summary="Send a delivery's event again (a new delivery with the same event id)",
)
def redeliver(request: HttpRequest, delivery_id: int) -> Any:
    delivery = scoped_or_404(WebhookDelivery.objects.select_related("endpoint"), request.user, delivery_id)
    ensure_edit(request, Area.WEBHOOKS)
    return Status(202, services.webhook_delivery_redeliver(delivery=delivery, actor=request.user))
