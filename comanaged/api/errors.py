"""One JSON error shape for every API failure: ``{"code", "message", "field", "problems"}``.

Every refusal is a 4xx with a stable ``code``; nothing a caller sends becomes a 500.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from comanaged.core.errors import ApplicationError, CoreErrorCode, Problem

# Which application error codes mean "not found" or "conflict" rather than "invalid".
STATUS_BY_CODE: dict[str, int] = {
    CoreErrorCode.NOT_FOUND: 404,
    CoreErrorCode.PERMISSION_DENIED: 403,
    CoreErrorCode.CONFLICT: 409,
    "rate_limited": 429,  # e.g. kb.vault: too many credential reveals in the window
}


def error_body(problems: list[Problem]) -> dict[str, Any]:
    first = problems[0]
    return {
        "code": first.code,
        "message": "; ".join(p.message for p in problems),
        "field": first.field,
        "problems": [{"code": p.code, "message": p.message, "field": p.field} for p in problems],
    }


def _respond(api: NinjaAPI, request: HttpRequest, status: int, problems: list[Problem]) -> HttpResponse:
    return api.create_response(request, error_body(problems), status=status)


SOURCES = ("body", "query", "path", "form", "file", "header", "cookie")
PARAMETER_NAMES = ("payload", "filters")  # our endpoints' names for a whole body / query schema


def _field_of(location: Any) -> str | None:
    """``("body", "payload", "body")`` → ``"body"``: drop where the value came from and the
    endpoint's parameter name, keep the field's own path (which may well be called "body")."""
    parts = [str(p) for p in location]
    if parts and parts[0] in SOURCES:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in PARAMETER_NAMES:
        parts = parts[1:]
    elif parts in (["payload"], ["filters"]):
        parts = []
    return ".".join(parts) or None


def install(api: NinjaAPI) -> None:
    """Register the handlers that map every failure to the error shape."""

    @api.exception_handler(ApplicationError)
    def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
        return _respond(api, request, STATUS_BY_CODE.get(exc.code, 400), list(exc.problems))

    @api.exception_handler(NinjaValidationError)
    def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        problems = []
        for error in exc.errors:
            kind = str(error.get("type", "invalid"))
            code = "unknown_field" if kind == "extra_forbidden" else "invalid"
            problems.append(Problem(code, str(error.get("msg", "Invalid value.")), _field_of(error.get("loc", ()))))
        return _respond(api, request, 422, problems or [Problem("invalid", "Invalid request.")])

    @api.exception_handler(ValidationError)
    def model_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return _respond(api, request, 400, list(ApplicationError.from_validation_error(exc).problems))

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return _respond(api, request, 401, [Problem("unauthenticated", "Sign in or send a valid API token.")])

    @api.exception_handler(PermissionDenied)
    def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        message = str(exc) or "You may not do this."
        return _respond(api, request, 403, [Problem(CoreErrorCode.PERMISSION_DENIED, message)])

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _respond(api, request, 404, [Problem(CoreErrorCode.NOT_FOUND, "Not found.")])

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
        return _respond(api, request, 413, [Problem("too_large", "The request body is too large.")])

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _respond(api, request, exc.status_code, [Problem("http_error", str(exc))])
