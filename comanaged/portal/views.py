"""The client portal: the POC's home (their agreement in plain words) and their people."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from comanaged.agreements.choices import DeviceClass, Plan, Priority
from comanaged.agreements.models import VendorCoverage
from comanaged.agreements.policy import RESPOND_TARGETS, SCOPE_LIMITS, AbsenceFact, poc_coverage_open
from comanaged.agreements.selectors import active_agreement
from comanaged.core.errors import ApplicationError
from comanaged.kb.runbooks import runbook_status
from comanaged.portal.access import portal_page
from comanaged.portal.forms import PtoForm
from comanaged.tenancy.choices import UserLevel
from comanaged.tenancy.models import Absence, Person
from comanaged.tenancy.selectors import active_poc_ids, client_calendar
from comanaged.tenancy.services import absence_save


def _hours(delta: dt.timedelta) -> int:
    return int(delta.total_seconds() // 3600)


@portal_page
def home(request: HttpRequest, person: Person) -> HttpResponse:
    client = person.client
    agreement = active_agreement(client)
    now = timezone.now()
    pocs = Person.objects.filter(client=client, level=UserLevel.POC, is_active=True).order_by("full_name")
    absences = list(
        Absence.objects.filter(client=client, ends_at__gt=now).select_related("person").order_by("starts_at")
    )
    coverage_open = poc_coverage_open(
        active_poc_ids(client),
        [_fact(a) for a in absences],
        now,
        one_absent_opens=bool(agreement and agreement.one_absent_poc_opens_coverage),
    )
    context = {
        "section": "home",
        "person": person,
        "client": client,
        "agreement": agreement,
        "targets": [
            (Priority(p).label.split(" — ")[0], Priority(p).label.split(" — ")[1], _hours(d))
            for p, d in RESPOND_TARGETS.items()
        ],
        "covered": [
            DeviceClass(c).label
            for c in (agreement.covered_device_classes if agreement else [])
            if c in DeviceClass.values
        ],
        "limits": [
            (DeviceClass(c).label, text)
            for c, text in SCOPE_LIMITS.items()
            if agreement and c in agreement.covered_device_classes
        ],
        "applications": agreement.listed_applications.all() if agreement else [],
        "offices": agreement.supported_offices.all() if agreement else [],
        "pocs": pocs,
        "absences": absences,
        "coverage_open": coverage_open,
        "after_hours_now": client_calendar(client).is_after_hours(now),
        "vendor_coverage": VendorCoverage.objects.filter(client=client).order_by("vendor"),
        # R27: the runbooks Co-managed+ end-user coverage needs, as the knowledge base counts them.
        "runbooks": runbook_status(agreement) if agreement and agreement.plan == Plan.CO_MANAGED_PLUS else None,
    }
    return render(request, "portal/home.html", context)


def _fact(absence: Absence) -> AbsenceFact:
    return AbsenceFact(absence.person_id, absence.starts_at, absence.ends_at)


@portal_page
def people(request: HttpRequest, person: Person) -> HttpResponse:
    client = person.client
    form = PtoForm(request.POST or None) if person.is_poc else None
    if request.method == "POST":
        if form is None:
            messages.error(request, "Only a POC records PTO here.")
            return HttpResponseRedirect(reverse("portal:people"))
        if form.is_valid():
            starts_at, ends_at = form.period(client.time_zone)
            absence = Absence(
                person=person,
                client=client,
                kind=form.cleaned_data["kind"],
                starts_at=starts_at,
                ends_at=ends_at,
                note=form.cleaned_data["note"],
            )
            try:
                absence_save(absence=absence, actor=request.user)
            except ApplicationError as error:
                for problem in error.problems:
                    form.add_error("first_day" if problem.field == "starts_at" else None, problem.message)
            else:
                messages.success(
                    request,
                    "Your time off is recorded. The provider's desk will cover end-users "
                    "if no POC is available (Co-managed+).",
                )
                return HttpResponseRedirect(reverse("portal:people"))
    visible = Person.objects.filter(client=client, is_active=True).select_related("site").order_by("level", "full_name")
    if not person.is_poc:
        visible = visible.filter(level=UserLevel.POC)  # end-users see who to ask, not the whole directory
    context = {
        "section": "people",
        "person": person,
        "client": client,
        "people": visible,
        "form": form,
        "absences": Absence.objects.filter(client=client, ends_at__gt=timezone.now())
        .select_related("person")
        .order_by("starts_at"),
    }
    return render(request, "portal/people.html", context)
