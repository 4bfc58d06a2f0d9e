"""REST endpoints of the tenancy app: provider, clients, sites, people, absences."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema, Status

from comanaged.core.pagination import page_of, require_write
from comanaged.core.services import delete_audited
from comanaged.tenancy import services
from comanaged.tenancy.access import ensure_edit, ensure_view, people_for, referenced, scoped_or_404
from comanaged.tenancy.models import Absence, Client, Person, ProviderSettings, Site
from comanaged.tenancy.permissions import Area, can_edit
from comanaged.tenancy.schemas import (
    AbsenceIn,
    AbsenceOut,
    ClientIn,
    ClientOut,
    ClientPatch,
    Id,
    Instant,
    PersonIn,
    PersonOut,
    PersonPatch,
    ProviderOut,
    SiteIn,
    SiteOut,
    SitePatch,
)

router = Router(tags=["Provider, clients and people"])


class Page(Schema):
    next: str | None


class ClientPage(Page):
    items: list[ClientOut]


class SitePage(Page):
    items: list[SiteOut]


class PersonPage(Page):
    items: list[PersonOut]


class AbsencePage(Page):
    items: list[AbsenceOut]


class PageQuery(Schema):
    limit: int | None = None
    cursor: str | None = None
    ordering: str | None = None


def _apply(instance: Any, data: dict[str, Any]) -> None:
    for name, value in data.items():
        setattr(instance, name, value)


# --- provider --------------------------------------------------------------------------------


@router.get("/provider", response=ProviderOut, summary="The provider's settings")
def provider(request: HttpRequest) -> Any:
    return ProviderSettings.load()


# --- clients ---------------------------------------------------------------------------------


class ClientFilters(PageQuery):
    q: str | None = None
    is_active: bool | None = None


@router.get("/clients", response=ClientPage, summary="Clients the caller may see")
def list_clients(request: HttpRequest, response: HttpResponse, filters: Query[ClientFilters]) -> Any:
    ensure_view(request, Area.CLIENTS)
    queryset = Client.objects.for_user(request.user)
    if filters.q:
        queryset = queryset.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    if filters.is_active is not None:
        queryset = queryset.filter(is_active=filters.is_active)
    return page_of(
        request,
        response,
        queryset,
        filters,
        default="name",
        allowed={"name": "name", "code": "code", "created_at": "created_at"},
    )


@router.post("/clients", response={201: ClientOut}, summary="Create a client")
def create_client(request: HttpRequest, payload: ClientIn) -> Any:
    ensure_edit(request, Area.CLIENTS)
    client = services.client_save(client=Client(**payload.dict()), actor=request.user)
    return Status(201, client)


@router.get("/clients/{client_id}", response=ClientOut)
def get_client(request: HttpRequest, client_id: int) -> Any:
    ensure_view(request, Area.CLIENTS)
    return scoped_or_404(Client.objects, request.user, client_id)


@router.patch("/clients/{client_id}", response=ClientOut)
def update_client(request: HttpRequest, client_id: int, payload: ClientPatch) -> Any:
    client = scoped_or_404(Client.objects, request.user, client_id)
    ensure_edit(request, Area.CLIENTS)
    _apply(client, payload.dict(exclude_unset=True))
    return services.client_save(client=client, actor=request.user)


# --- sites -----------------------------------------------------------------------------------


class ClientScopedFilters(PageQuery):
    client_id: Id | None = None
    q: str | None = None


@router.get("/sites", response=SitePage)
def list_sites(request: HttpRequest, response: HttpResponse, filters: Query[ClientScopedFilters]) -> Any:
    ensure_view(request, Area.CLIENTS)
    queryset = Site.objects.for_user(request.user)
    if filters.client_id is not None:
        queryset = queryset.filter(client_id=filters.client_id)
    if filters.q:
        queryset = queryset.filter(Q(name__icontains=filters.q) | Q(city__icontains=filters.q))
    return page_of(
        request,
        response,
        queryset,
        filters,
        default="name",
        allowed={"name": "name", "city": "city", "created_at": "created_at"},
    )


@router.post("/sites", response={201: SiteOut})
def create_site(request: HttpRequest, payload: SiteIn) -> Any:
    ensure_edit(request, Area.CLIENTS)
    data = payload.dict()
    client = referenced(Client.objects, request.user, data.pop("client_id"), "client_id")
    return Status(201, services.site_save(site=Site(client=client, **data), actor=request.user))


@router.get("/sites/{site_id}", response=SiteOut)
def get_site(request: HttpRequest, site_id: int) -> Any:
    ensure_view(request, Area.CLIENTS)
    return scoped_or_404(Site.objects, request.user, site_id)


@router.patch("/sites/{site_id}", response=SiteOut)
def update_site(request: HttpRequest, site_id: int, payload: SitePatch) -> Any:
    site = scoped_or_404(Site.objects, request.user, site_id)
    ensure_edit(request, Area.CLIENTS)
    _apply(site, payload.dict(exclude_unset=True))
    return services.site_save(site=site, actor=request.user)


@router.delete("/sites/{site_id}", response={204: None})
def delete_site(request: HttpRequest, site_id: int) -> Any:
    site = scoped_or_404(Site.objects, request.user, site_id)
    ensure_edit(request, Area.CLIENTS)
    delete_audited(site, actor=request.user)
    return Status(204, None)


# --- people ----------------------------------------------------------------------------------


class PersonFilters(ClientScopedFilters):
    level: str | None = None
    kind: str | None = None
    is_active: bool | None = None


@router.get("/people", response=PersonPage)
def list_people(request: HttpRequest, response: HttpResponse, filters: Query[PersonFilters]) -> Any:
    ensure_view(request, Area.PEOPLE)
    queryset = people_for(request.user, Person.objects.for_user(request.user))
    for name in ("client_id", "level", "kind", "is_active"):
        value = getattr(filters, name)
        if value is not None:
            queryset = queryset.filter(**{name: value})
    if filters.q:
        queryset = queryset.filter(Q(full_name__icontains=filters.q) | Q(email__icontains=filters.q))
    return page_of(
        request,
        response,
        queryset,
        filters,
        default="full_name",
        allowed={"full_name": "full_name", "created_at": "created_at", "level": "level"},
    )


@router.post("/people", response={201: PersonOut})
def create_person(request: HttpRequest, payload: PersonIn) -> Any:
    ensure_edit(request, Area.PEOPLE)
    data = payload.dict()
    client = referenced(Client.objects, request.user, data.pop("client_id"), "client_id")
    site = referenced(Site.objects, request.user, data.pop("site_id"), "site_id")
    return Status(201, services.person_save(person=Person(client=client, site=site, **data), actor=request.user))


@router.get("/people/{person_id}", response=PersonOut)
def get_person(request: HttpRequest, person_id: int) -> Any:
    ensure_view(request, Area.PEOPLE)
    return scoped_or_404(people_for(request.user, Person.objects), request.user, person_id)


@router.patch("/people/{person_id}", response=PersonOut)
def update_person(request: HttpRequest, person_id: int, payload: PersonPatch) -> Any:
    person = scoped_or_404(Person.objects, request.user, person_id)
    ensure_edit(request, Area.PEOPLE)
    data = payload.dict(exclude_unset=True)
    if "site_id" in data:
        person.site = referenced(Site.objects, request.user, data.pop("site_id"), "site_id")
    _apply(person, data)
    return services.person_save(person=person, actor=request.user)


# --- absences --------------------------------------------------------------------------------


class AbsenceFilters(PageQuery):
    client_id: Id | None = None
    person_id: Id | None = None
    active_at: Instant | None = None


@router.get("/absences", response=AbsencePage)
def list_absences(request: HttpRequest, response: HttpResponse, filters: Query[AbsenceFilters]) -> Any:
    ensure_view(request, Area.PEOPLE)
    queryset = Absence.objects.for_user(request.user)
    if filters.client_id is not None:
        queryset = queryset.filter(client_id=filters.client_id)
    if filters.person_id is not None:
        queryset = queryset.filter(person_id=filters.person_id)
    if filters.active_at is not None:
        queryset = queryset.filter(starts_at__lte=filters.active_at, ends_at__gt=filters.active_at)
    return page_of(
        request,
        response,
        queryset,
        filters,
        default="-starts_at",
        allowed={"starts_at": "starts_at", "ends_at": "ends_at"},
    )


def _may_record_absence_of(request: HttpRequest, person: Person) -> None:
    """Staff who manage people may; a POC may record their own PTO (R11)."""
    require_write(request)
    own = getattr(request.user, "person", None)
    if can_edit(request.user, Area.PEOPLE) or (own is not None and own.pk == person.pk and own.is_poc):
        return
    raise PermissionDenied("Only staff managing people, or the POC themselves, may record this absence.")


@router.post("/absences", response={201: AbsenceOut}, summary="Record PTO or sick leave of a POC (R11)")
def create_absence(request: HttpRequest, payload: AbsenceIn) -> Any:
    data = payload.dict()
    person = referenced(Person.objects, request.user, data.pop("person_id"), "person_id")
    assert isinstance(person, Person)
    _may_record_absence_of(request, person)
    absence = Absence(person=person, client_id=person.client_id, **data)
    return Status(201, services.absence_save(absence=absence, actor=request.user))


@router.delete("/absences/{absence_id}", response={204: None})
def delete_absence(request: HttpRequest, absence_id: int) -> Any:
    absence = scoped_or_404(Absence.objects, request.user, absence_id)
    _may_record_absence_of(request, absence.person)
    delete_audited(absence, actor=request.user)
    return Status(204, None)
