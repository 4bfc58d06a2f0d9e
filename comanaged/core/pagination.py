"""Cursor (keyset) pagination with ``ordering``: stable under inserts, fast at any depth.

The cursor is an opaque base64 token holding the ordering and the last row's sort value and
id. The next page is ``WHERE (key, id) > (last key, last id)`` in the chosen direction, never an
OFFSET. The response carries ``next`` in the body and an RFC 8288 ``Link: <…>; rel="next"``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

from comanaged.core.errors import ApplicationError

MAX_LIMIT = 1000
DEFAULT_LIMIT = 50


def _encode(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(cursor: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ApplicationError("invalid_cursor", "The cursor is not valid.", field="cursor") from exc
    if not isinstance(payload, dict) or not {"o", "v", "id"} <= payload.keys():
        raise ApplicationError("invalid_cursor", "The cursor is not valid.", field="cursor")
    return payload


def paginate(
    request: HttpRequest,
    response: HttpResponse,
    queryset: QuerySet[Any],
    *,
    ordering: str | None,
    allowed: Mapping[str, str],
    default: str,
    limit: int | None,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` and the URL of the next one (also set as the Link header).

    ``allowed`` maps public ordering names to model fields (non-null ones only).
    """
    ordering = ordering or default
    name = ordering.removeprefix("-")
    if name not in allowed:
        raise ApplicationError(
            "invalid_ordering",
            f"Order by one of: {', '.join(sorted(allowed))} (prefix - for descending).",
            field="ordering",
        )
    if limit is None:
        limit = DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ApplicationError("invalid_limit", f"limit must be between 1 and {MAX_LIMIT}.", field="limit")
    field = allowed[name]
    descending = ordering.startswith("-")
    sign = "-" if descending else ""
    queryset = queryset.order_by(f"{sign}{field}", f"{sign}pk")

    if cursor:
        payload = _decode(cursor)
        if payload["o"] != ordering:
            raise ApplicationError("invalid_cursor", "The cursor belongs to another ordering.", field="cursor")
        model_field = queryset.model._meta.get_field(field.split("__")[0]) if "__" not in field else None
        try:
            value = model_field.to_python(payload["v"]) if model_field is not None else payload["v"]
            last_id = int(payload["id"])
        except (ValidationError, TypeError, ValueError, OverflowError) as exc:
            raise ApplicationError("invalid_cursor", "The cursor is not valid.", field="cursor") from exc
        op = "lt" if descending else "gt"
        queryset = queryset.filter(Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"pk__{op}": last_id}))

    rows = list(queryset[: limit + 1])
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    value = _value_of(last, field)
    token = _encode({"o": ordering, "v": value, "id": last.pk})
    query = request.GET.copy()
    query["cursor"] = token
    query["limit"] = str(limit)
    next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    response["Link"] = f'<{next_url}>; rel="next"'
    return rows, next_url


def page_of(
    request: HttpRequest,
    response: HttpResponse,
    queryset: QuerySet[Any],
    query: Any,
    *,
    default: str,
    allowed: Mapping[str, str],
) -> dict[str, Any]:
    """A list endpoint's body, ``{"items": [...], "next": url}``, from its paging parameters
    (``query.limit``, ``query.cursor``, ``query.ordering``)."""
    items, next_url = paginate(
        request,
        response,
        queryset,
        ordering=query.ordering,
        default=default,
        allowed=allowed,
        limit=query.limit,
        cursor=query.cursor,
    )
    return {"items": items, "next": next_url}


def _value_of(row: Any, field: str) -> Any:
    value = row
    for part in field.split("__"):
        value = getattr(value, part)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value if isinstance(value, int | float | str | bool) or value is None else str(value)


def require_write(request: HttpRequest) -> None:
    """A read-only API token may not change anything (sessions and write tokens may)."""
    from django.core.exceptions import PermissionDenied

    token = getattr(request, "api_token", None)
    if token is not None and not token.can_write:
        raise PermissionDenied("This token is read-only.")
