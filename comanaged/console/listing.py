"""Lists people can work with: search, filters, sorting, pagination and CSV export, in one place."""

from __future__ import annotations

import csv
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse

PAGE_SIZE = 25
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> str:
    """A cell spreadsheet programs will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


@dataclass(frozen=True)
class Filter:
    param: str
    label: str
    lookup: str
    choices: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Column:
    label: str
    value: Callable[[Any], Any]
    sort: str | None = None  # the ordering name, when sortable
    link: Callable[[Any], str] | None = None  # the cell links to this URL
    badge: bool = False  # shown as a status badge


@dataclass(frozen=True)
class Listing:
    """How one list is searched, filtered, sorted and exported."""

    search: Sequence[str]
    columns: Sequence[Column]
    default_sort: str
    filters: Sequence[Filter] = ()
    sorts: Mapping[str, str] = field(default_factory=dict)  # public name → model field

    def apply(self, request: HttpRequest, queryset: QuerySet[Any]) -> tuple[QuerySet[Any], dict[str, Any]]:
        q = request.GET.get("q", "").strip()[:200]
        if q:
            condition = Q()
            for name in self.search:
                condition |= Q(**{f"{name}__icontains": q})
            queryset = queryset.filter(condition)
        active: dict[str, str] = {}
        for spec in self.filters:
            value = request.GET.get(spec.param, "")
            if value and value in {code for code, _ in spec.choices}:
                queryset = queryset.filter(**{spec.lookup: _coerce(value)})
                active[spec.param] = value
        sort = request.GET.get("sort", self.default_sort)
        if sort.removeprefix("-") not in self.sorts:
            sort = self.default_sort
        field_name = self.sorts[sort.removeprefix("-")]
        prefix = "-" if sort.startswith("-") else ""
        queryset = queryset.order_by(f"{prefix}{field_name}", f"{prefix}pk")
        return queryset, {"q": q, "active_filters": active, "sort": sort}

    def page(self, request: HttpRequest, queryset: QuerySet[Any]) -> dict[str, Any]:
        queryset, state = self.apply(request, queryset)
        page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        headers = []
        for column in self.columns:
            next_sort = None
            if column.sort:
                next_sort = f"-{column.sort}" if state["sort"] == column.sort else column.sort
            sort_query = request.GET.copy()
            sort_query.pop("page", None)
            if next_sort:
                sort_query["sort"] = next_sort
            headers.append(
                {
                    "label": column.label,
                    "sort_url": f"?{sort_query.urlencode()}" if next_sort else None,
                    "sorted": state["sort"].removeprefix("-") == column.sort,
                    "descending": state["sort"].startswith("-"),
                }
            )
        export = request.GET.copy()
        export["format"] = "csv"
        export.pop("page", None)
        rows = [
            [
                {"value": column.value(obj), "url": column.link(obj) if column.link else None, "badge": column.badge}
                for column in self.columns
            ]
            for obj in page
        ]
        return {
            **state,
            "page": page,
            "rows": rows,
            "headers": headers,
            "filters": self.filters,
            "query_without_page": query.urlencode(),
            "export_url": f"?{export.urlencode()}",
        }

    def csv(self, request: HttpRequest, queryset: QuerySet[Any], filename: str) -> HttpResponse:
        queryset, _ = self.apply(request, queryset)
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        writer = csv.writer(response)
        writer.writerow([column.label for column in self.columns])
        for row in queryset.iterator(chunk_size=500):
            writer.writerow([csv_safe(column.value(row)) for column in self.columns])
        return response


def _coerce(value: str) -> Any:
    return {"true": True, "false": False}.get(value, value)
