"""The NinjaAPI instance: authentication, error mapping and every app's router under /api/v1/."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import NinjaAPI, Router, Status

from comanaged.agreements.api import policy_router
from comanaged.agreements.api import router as agreements_router
from comanaged.api import errors
from comanaged.api.auth import SessionAuth, TokenAuth
from comanaged.api.models import ApiToken
from comanaged.api.schemas import TokenCreated, TokenIn, TokenOut
from comanaged.api.services import token_issue, token_revoke
from comanaged.core.pagination import require_write
from comanaged.kb.api import router as kb_router
from comanaged.sla.api import router as sla_router
from comanaged.tenancy.api import router as tenancy_router
from comanaged.tenancy.models import User
from comanaged.tickets.api import router as tickets_router
from comanaged.webhooks.api import router as webhooks_router

api = NinjaAPI(
    title="comanaged API",
    version="1",
    description=(
        "The co-managed IT platform's REST API. Authenticate with a personal token "
        "(`Authorization: Bearer cmg_…`). Lists use cursor pagination (`limit` ≤ 1000, `cursor`, "
        "`ordering`); every error has the shape `{code, message, field, problems}`."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), SessionAuth()],
    openapi_url="/openapi.json",
    docs_url="/docs",
)
errors.install(api)

tokens_router = Router(tags=["API tokens"])


def caller(request: HttpRequest) -> User:
    """The authenticated user (every endpoint here requires authentication)."""
    assert isinstance(request.user, User)
    return request.user


@tokens_router.get("/tokens", response=list[TokenOut], summary="Your API tokens")
def list_tokens(request: HttpRequest) -> Any:
    return ApiToken.objects.filter(user=caller(request))


@tokens_router.post("/tokens", response={201: TokenCreated}, summary="Issue a token (shown once)")
def create_token(request: HttpRequest, payload: TokenIn) -> Any:
    require_write(request)
    row, token = token_issue(
        user=request.user, name=payload.name, scope=payload.scope, expires_in_days=payload.expires_in_days
    )
    data = TokenOut.from_orm(row).dict()
    return Status(201, {**data, "token": token})


@tokens_router.delete("/tokens/{token_id}", response={204: None}, summary="Revoke one of your tokens")
def revoke_token(request: HttpRequest, token_id: int) -> Any:
    require_write(request)
    row = ApiToken.objects.filter(user=caller(request), pk=token_id).first()
    if row is None:
        raise Http404
    token_revoke(token=row, actor=request.user)
    return Status(204, None)


api.add_router("/v1/", tenancy_router)
api.add_router("/v1/", agreements_router)
api.add_router("/v1/policy/", policy_router)
api.add_router("/v1/", tokens_router)
api.add_router("/v1/", webhooks_router)
api.add_router("/v1/", tickets_router)
api.add_router("/v1/", sla_router)
api.add_router("/v1/", kb_router)
