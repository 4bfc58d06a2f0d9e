"""The provider console: dashboard, clients, people, agreements and vendor coverage.

Thin adapters: every read goes through ``for_user`` scoping, every write through a service.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from comanaged.agreements import services as agreement_services
from comanaged.agreements.choices import AgreementStatus, Plan
from comanaged.agreements.models import Agreement, VendorCoverage
from comanaged.agreements.policy import activation_problems
from comanaged.agreements.selectors import activation_facts
from comanaged.api.models import ApiToken
from comanaged.api.services import token_issue
from comanaged.api.services import token_revoke as revoke_token
from comanaged.console.access import staff_page
from comanaged.console.forms import (
    AgreementForm,
    ClientForm,
    PersonForm,
    TerminateForm,
    TokenForm,
    VendorCoverageForm,
    scope_choices,
)
from comanaged.console.listing import Column, Filter, Listing
from comanaged.core.errors import ApplicationError, Problem
from comanaged.tenancy import services as tenancy_services
from comanaged.tenancy.choices import PersonKind, UserLevel
from comanaged.tenancy.models import Absence, Client, Person
from comanaged.tenancy.permissions import Area, can_edit

# --- dashboard -------------------------------------------------------------------------------


@staff_page(Area.CLIENTS)
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    agreements = Agreement.objects.for_user(user).select_related("client")
    drafts = [
        (agreement, activation_problems(activation_facts(agreement)))
        for agreement in agreements.filter(status=AgreementStatus.DRAFT)[:10]
    ]
    context = {
        "section": "dashboard",
        "kpis": {
            "clients": Client.objects.for_user(user).filter(is_active=True).count(),
            "active_agreements": agreements.filter(status=AgreementStatus.ACTIVE).count(),
            "plus": agreements.filter(status=AgreementStatus.ACTIVE, plan=Plan.CO_MANAGED_PLUS).count(),
            "pocs_away": Absence.objects.for_user(user).filter(starts_at__lte=now, ends_at__gt=now).count(),
        },
        "drafts": drafts,
        "absences": Absence.objects.for_user(user)
        .filter(ends_at__gt=now)
        .select_related("person", "client")
        .order_by("starts_at")[:8],
        "expiring": VendorCoverage.objects.for_user(user)
        .filter(expires_on__lte=now.date() + dt.timedelta(days=60))
        .select_related("client")
        .order_by("expires_on")[:8],
        "today": now.date(),
        "now": now,
    }
    return render(request, "console/dashboard.html", context)


# --- lists -----------------------------------------------------------------------------------

CLIENTS = Listing(
    search=("name", "code"),
    columns=(
        Column("Client", lambda c: c.name, "name", lambda c: reverse("console:client", args=[c.pk])),
        Column("Code", lambda c: c.code, "code"),
        Column("Time zone", lambda c: c.time_zone),
        Column("Holidays", lambda c: "-".join(filter(None, [c.holiday_country, c.holiday_subdivision]))),
        Column("People", lambda c: c.people_count, "people"),
        Column("Status", lambda c: "active" if c.is_active else "inactive", badge=True),
    ),
    default_sort="name",
    sorts={"name": "name", "code": "code", "people": "people_count", "created": "created_at"},
    filters=(Filter("active", "Status", "is_active", (("true", "Active"), ("false", "Inactive"))),),
)

PEOPLE = Listing(
    search=("full_name", "email", "client__name"),
    columns=(
        Column("Name", lambda p: p.full_name, "name", lambda p: reverse("console:person_edit", args=[p.pk])),
        Column("Client", lambda p: p.client.name, "client", lambda p: reverse("console:client", args=[p.client_id])),
        Column("Level", lambda p: p.get_level_display() or "— not counted", "level"),
        Column("Kind", lambda p: p.get_kind_display()),
        Column("E-mail", lambda p: p.email),
        Column("Phone", lambda p: p.phone or p.mobile),
    ),
    default_sort="name",
    sorts={"name": "full_name", "client": "client__name", "level": "level"},
    filters=(
        Filter("level", "Level", "level", tuple(UserLevel.choices)),
        Filter("kind", "Kind", "kind", tuple(PersonKind.choices)),
    ),
)

AGREEMENTS = Listing(
    search=("reference", "client__name"),
    columns=(
        Column("Reference", lambda a: a.reference, "reference", lambda a: reverse("console:agreement", args=[a.pk])),
        Column("Client", lambda a: a.client.name, "client", lambda a: reverse("console:client", args=[a.client_id])),
        Column("Plan", lambda a: a.get_plan_display(), "plan"),
        Column("Vertical", lambda a: a.vertical.name if a.vertical else ""),
        Column("Backup (R3)", lambda a: a.get_backup_service_display() or "missing"),
        Column("Starts", lambda a: a.starts_on or "", "starts"),
        Column("Status", lambda a: a.status, "status", badge=True),
    ),
    default_sort="reference",
    sorts={
        "reference": "reference",
        "client": "client__name",
        "plan": "plan",
        "starts": "starts_on",
        "status": "status",
    },
    filters=(
        Filter("status", "Status", "status", tuple(AgreementStatus.choices)),
        Filter("plan", "Plan", "plan", tuple(Plan.choices)),
    ),
)

COVERAGE = Listing(
    search=("vendor", "covers", "contract_number", "client__name"),
    columns=(
        Column("Vendor", lambda v: v.vendor, "vendor", lambda v: reverse("console:coverage_edit", args=[v.pk])),
        Column("Covers", lambda v: v.covers),
        Column("Client", lambda v: v.client.name, "client", lambda v: reverse("console:client", args=[v.client_id])),
        Column("Contract", lambda v: v.contract_number),
        Column("Expires", lambda v: v.expires_on or "no expiry", "expires"),
        Column("Provider authorized (R28)", lambda v: "yes" if v.provider_is_authorized_user else "no"),
    ),
    default_sort="vendor",
    sorts={"vendor": "vendor", "client": "client__name", "expires": "expires_on"},
    filters=(
        Filter("authorized", "Provider authorized", "provider_is_authorized_user", (("true", "Yes"), ("false", "No"))),
    ),
)


NOUN_ONE = {"clients": "client", "people": "person", "agreements": "agreement", "coverage records": "coverage record"}


def _list(
    request: HttpRequest,
    listing: Listing,
    queryset: Any,
    *,
    title: str,
    section: str,
    noun: str,
    add_url: str | None,
    filename: str,
) -> HttpResponse:
    if request.GET.get("format") == "csv":
        return listing.csv(request, queryset, filename)
    context = {**listing.page(request, queryset), "title": title, "section": section, "noun": noun, "add_url": add_url}
    return render(request, "console/list.html", context)


@staff_page(Area.CLIENTS)
def clients(request: HttpRequest) -> HttpResponse:
    queryset = Client.objects.for_user(request.user).annotate(people_count=Count("people"))
    add = reverse("console:client_add") if can_edit(request.user, Area.CLIENTS) else None
    return _list(
        request, CLIENTS, queryset, title="Clients", section="clients", noun="clients", add_url=add, filename="clients"
    )


@staff_page(Area.PEOPLE)
def people(request: HttpRequest) -> HttpResponse:
    queryset = Person.objects.for_user(request.user).select_related("client")
    add = reverse("console:person_add") if can_edit(request.user, Area.PEOPLE) else None
    return _list(
        request, PEOPLE, queryset, title="People", section="people", noun="people", add_url=add, filename="people"
    )


@staff_page(Area.AGREEMENTS)
def agreements(request: HttpRequest) -> HttpResponse:
    queryset = Agreement.objects.for_user(request.user).select_related("client", "vertical")
    add = reverse("console:agreement_add") if can_edit(request.user, Area.AGREEMENTS) else None
    return _list(
        request,
        AGREEMENTS,
        queryset,
        title="Agreements",
        section="agreements",
        noun="agreements",
        add_url=add,
        filename="agreements",
    )


@staff_page(Area.VENDOR_COVERAGE)
def coverage(request: HttpRequest) -> HttpResponse:
    queryset = VendorCoverage.objects.for_user(request.user).select_related("client")
    add = reverse("console:coverage_add") if can_edit(request.user, Area.VENDOR_COVERAGE) else None
    return _list(
        request,
        COVERAGE,
        queryset,
        title="Vendor/OEM coverage",
        section="coverage",
        noun="coverage records",
        add_url=add,
        filename="vendor-coverage",
    )


# --- detail pages ----------------------------------------------------------------------------


def require_edit(request: HttpRequest, area: Area) -> None:
    if not can_edit(request.user, area):
        raise PermissionDenied


def _scoped(model: Any, user: Any, pk: int) -> Any:
    obj = model.objects.for_user(user).filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


@staff_page(Area.CLIENTS)
def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _scoped(Client, request.user, pk)
    context = {
        "section": "clients",
        "client": client,
        "sites": client.sites.all(),
        "people": client.people.select_related("site").order_by("level", "full_name"),
        "agreements": client.agreements.select_related("vertical").order_by("-created_at"),
        "coverage": client.vendor_coverages.all(),
        "hours": client.business_hours.all(),
        "closures": client.closures.all(),
        "can_edit": can_edit(request.user, Area.CLIENTS),
    }
    return render(request, "console/client_detail.html", context)


@staff_page(Area.AGREEMENTS)
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _scoped(Agreement, request.user, pk)
    problems = activation_problems(activation_facts(agreement)) if agreement.status == AgreementStatus.DRAFT else []
    context = {
        "section": "agreements",
        "agreement": agreement,
        "problems": problems,
        "applications": agreement.listed_applications.select_related("vendor_coverage"),
        "offices": agreement.supported_offices.all(),
        "can_edit": can_edit(request.user, Area.AGREEMENTS) and agreement.status != AgreementStatus.TERMINATED,
        "can_lifecycle": can_edit(request.user, Area.AGREEMENT_LIFECYCLE),
        "terminate_form": TerminateForm(),
    }
    return render(request, "console/agreement_detail.html", context)


@require_POST
@staff_page(Area.AGREEMENTS)
def agreement_activate(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _scoped(Agreement, request.user, pk)
    require_edit(request, Area.AGREEMENT_LIFECYCLE)
    try:
        agreement_services.agreement_activate(agreement=agreement, actor=request.user)
    except ApplicationError as error:
        for problem in error.problems:
            messages.error(request, f"Not activated: {problem.message}")
    else:
        messages.success(request, f"{agreement.reference} is active.")
    return HttpResponseRedirect(reverse("console:agreement", args=[agreement.pk]))


@require_POST
@staff_page(Area.AGREEMENTS)
def agreement_terminate(request: HttpRequest, pk: int) -> HttpResponse:
    agreement = _scoped(Agreement, request.user, pk)
    require_edit(request, Area.AGREEMENT_LIFECYCLE)
    form = TerminateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the agreement ends.")
    else:
        try:
            agreement_services.agreement_terminate(
                agreement=agreement,
                actor=request.user,
                reason=form.cleaned_data["reason"],
                ends_on=form.cleaned_data["ends_on"],
            )
        except ApplicationError as error:
            for problem in error.problems:
                messages.error(request, f"Not terminated: {problem.message}")
        else:
            messages.success(request, f"{agreement.reference} is terminated.")
    return HttpResponseRedirect(reverse("console:agreement", args=[agreement.pk]))


# --- forms -----------------------------------------------------------------------------------


def _edit(
    request: HttpRequest,
    *,
    form: Any,
    save: Callable[[Any, dict[str, Any]], Any],
    title: str,
    section: str,
    success: Callable[[Any], str],
    cancel: str,
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            obj = save(form.instance, form.cleaned_data)
        except ApplicationError as error:  # a check that only the service can run (e.g. a race)
            for problem in error.problems:
                form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(request, f"Saved {obj}.")
            return HttpResponseRedirect(success(obj))
    return render(
        request, "console/form.html", {"form": form, "title": title, "section": section, "cancel_url": cancel}
    )


def _bound(
    form_class: Any, request: HttpRequest, instance: Any, problems: Callable[..., list[Problem]], **kwargs: Any
) -> Any:
    bound = type(form_class.__name__, (form_class,), {"problems_for": staticmethod(problems)})
    data = request.POST if request.method == "POST" else None
    form = bound(data, instance=instance, **kwargs)
    if "user" not in kwargs:
        scope_choices(form, request.user)
    return form


@staff_page(Area.CLIENTS)
def client_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    client = _scoped(Client, request.user, pk) if pk else Client()
    require_edit(request, Area.CLIENTS)  # after the lookup: another client's object is a 404
    form = _bound(ClientForm, request, client, lambda instance, data: [])
    return _edit(
        request,
        form=form,
        title=f"Edit {client}" if pk else "New client",
        section="clients",
        save=lambda obj, data: tenancy_services.client_save(client=obj, actor=request.user),
        success=lambda obj: reverse("console:client", args=[obj.pk]),
        cancel=reverse("console:client", args=[pk]) if pk else reverse("console:clients"),
    )


@staff_page(Area.PEOPLE)
def person_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    person = _scoped(Person, request.user, pk) if pk else Person()
    require_edit(request, Area.PEOPLE)  # after the lookup: another client's object is a 404
    form = _bound(PersonForm, request, person, lambda instance, data: tenancy_services.person_problems(instance))
    return _edit(
        request,
        form=form,
        title=f"Edit {person}" if pk else "New person",
        section="people",
        save=lambda obj, data: tenancy_services.person_save(person=obj, actor=request.user),
        success=lambda obj: reverse("console:client", args=[obj.client_id]),
        cancel=reverse("console:people"),
    )


@staff_page(Area.AGREEMENTS)
def agreement_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    agreement = _scoped(Agreement, request.user, pk) if pk else Agreement()
    require_edit(request, Area.AGREEMENTS)  # after the lookup: another client's object is a 404
    if agreement.status == AgreementStatus.TERMINATED:
        raise Http404
    form = _bound(
        AgreementForm,
        request,
        agreement,
        lambda instance, data: agreement_services.agreement_problems(instance, data.get("supported_offices")),
        user=request.user,
    )
    return _edit(
        request,
        form=form,
        title=f"Edit {agreement.reference}" if pk else "New agreement",
        section="agreements",
        save=lambda obj, data: agreement_services.agreement_save(
            agreement=obj, actor=request.user, supported_offices=data.get("supported_offices")
        ),
        success=lambda obj: reverse("console:agreement", args=[obj.pk]),
        cancel=reverse("console:agreement", args=[pk]) if pk else reverse("console:agreements"),
    )


@staff_page(Area.VENDOR_COVERAGE)
def coverage_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    record = _scoped(VendorCoverage, request.user, pk) if pk else VendorCoverage()
    require_edit(request, Area.VENDOR_COVERAGE)  # after the lookup: another client's object is a 404
    form = _bound(VendorCoverageForm, request, record, lambda instance, data: [])
    return _edit(
        request,
        form=form,
        title=f"Edit {record}" if pk else "New vendor/OEM coverage",
        section="coverage",
        save=lambda obj, data: agreement_services.vendor_coverage_save(coverage=obj, actor=request.user),
        success=lambda obj: reverse("console:client", args=[obj.client_id]),
        cancel=reverse("console:coverage"),
    )


# --- personal API tokens ---------------------------------------------------------------------


@staff_page(Area.CLIENTS)
def tokens(request: HttpRequest) -> HttpResponse:
    """The caller's own API tokens: issue (shown once), see last use, revoke."""
    form = TokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        _, issued = token_issue(
            user=request.user,
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
        form = TokenForm()
    context = {
        "section": "tokens",
        "form": form,
        "issued": issued,
        "tokens": ApiToken.objects.filter(user=request.user.pk or 0),
    }
    return render(request, "console/tokens.html", context)


@require_POST
@staff_page(Area.CLIENTS)
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    row = ApiToken.objects.filter(user=request.user.pk or 0, pk=pk).first()
    if row is None:
        raise Http404
    revoke_token(token=row, actor=request.user)
    messages.success(request, f"Token {row} revoked.")
    return HttpResponseRedirect(reverse("console:tokens"))
