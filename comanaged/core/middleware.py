"""Request guards (size, NUL characters) and strict security headers on every response."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# No script may run unless it is a file served by us: no inline scripts, no eval, no other origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # inline *styles* only (admin widgets, Swagger UI)
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class RequestSizeLimitMiddleware:
    """Refuse a request whose declared body exceeds ``MAX_REQUEST_BYTES`` (413) before anything
    reads it — CSRF checking parses form bodies, and parsing streams uploads to disk, so a 2 GB
    upload must be stopped here, not in the view. Each file is then checked again on its own
    (``comanaged.core.files.store_upload``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        limit = settings.MAX_REQUEST_BYTES
        if declared > limit:
            return _refuse(request, 413, "too_large", f"The request is too large (at most {limit // 2**20} MB).")
        return self.get_response(request)


class NullCharacterMiddleware:
    """Refuse NUL characters in query strings and form bodies (400): PostgreSQL cannot store them
    in text, so they would fail deep in a query; nobody types one. JSON bodies are checked by the
    API's input schemas; multipart forms by Django's form fields (files may hold any byte)."""

    FORM = "application/x-www-form-urlencoded"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.core.exceptions import RequestDataTooBig

        query = request.META.get("QUERY_STRING", "")
        suspicious = "%00" in query or "\x00" in query
        if not suspicious and request.method in {"POST", "PUT", "PATCH"} and request.content_type == self.FORM:
            with contextlib.suppress(RequestDataTooBig):  # the view refuses it when it reads the body
                suspicious = b"%00" in request.body or b"\x00" in request.body
        if suspicious:
            return _refuse(request, 400, "invalid", "NUL characters are not accepted.")
        return self.get_response(request)


def _refuse(request: HttpRequest, status: int, code: str, message: str) -> HttpResponse:
    from django.http import JsonResponse

    if request.path.startswith("/api/"):
        problem = {"code": code, "message": message, "field": None}
        return JsonResponse({**problem, "problems": [problem]}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
