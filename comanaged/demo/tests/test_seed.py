"""The demo seed: realistic, complete, valid under the contract's rules, and idempotent."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from comanaged.agreements.models import Agreement, ListedApplication, VendorCoverage
from comanaged.core.models import AuditEntry
from comanaged.demo.seed import Seeder, demo_logins
from comanaged.tenancy.choices import StaffRoleCode, UserLevel
from comanaged.tenancy.models import Absence, Client, Person, StaffProfile

pytestmark = pytest.mark.django_db


def test_seed_covers_every_role_plan_level_and_status():
    Seeder().run()
    assert Client.objects.count() >= 5
    roles = set(StaffProfile.objects.values_list("roles__code", flat=True))
    assert roles == set(StaffRoleCode.values)
    assert StaffProfile.objects.filter(roles="technician", verticals__slug="healthcare").exists()  # vertical desk
    assert set(Agreement.objects.values_list("plan", flat=True)) == {"co_managed", "co_managed_plus"}
    assert Agreement.objects.filter(vertical__isnull=False, status="active").exists()
    assert set(Agreement.objects.values_list("status", flat=True)) == {"draft", "active", "terminated"}
    assert set(Person.objects.exclude(level="").values_list("level", flat=True)) == set(UserLevel.values)
    assert Person.objects.filter(level="").exists()  # service accounts and shared mailboxes
    assert Absence.objects.exists() and ListedApplication.objects.exists() and VendorCoverage.objects.exists()


def test_seed_draft_shows_the_backup_refusal():
    """R3: the demo keeps one draft without backup, so the refusal can be seen."""
    Seeder().run()
    draft = Agreement.objects.get(status="draft")
    assert draft.backup_service == ""


def test_seeding_twice_creates_nothing_more():
    first = Seeder().run()
    entries = AuditEntry.objects.count()
    assert first > 100
    assert Seeder().run() == 0
    assert AuditEntry.objects.count() == entries


def test_seed_writes_through_the_audited_services():
    Seeder().run()
    assert AuditEntry.objects.filter(action="activate").count() == Agreement.objects.exclude(status="draft").count()
    assert AuditEntry.objects.filter(object_type="tenancy.person").count() == Person.objects.count()


def test_the_command_reports_progress_and_the_logins_exist(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Demo data ready" in out
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    for _, email, password in demo_logins():
        assert authenticate(RequestFactory().post("/accounts/login/"), username=email, password=password) is not None


@pytest.mark.django_db
def test_the_demo_has_a_realistic_ticket_queue_per_active_client():
    """R15 internal resolutions, the desk's stages, an R19 out-of-scope and an R23 billable ticket."""
    from comanaged.agreements.models import Agreement
    from comanaged.demo.seed import Seeder
    from comanaged.tickets.models import Ticket

    Seeder().run()
    active = Agreement.objects.filter(status="active").count()
    assert active and Ticket.objects.values("client").distinct().count() == active
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert {"resolved", "new", "escalated", "assigned", "in_progress", "waiting_on_vendor"} <= statuses
    verdicts = set(Ticket.objects.values_list("verdict", flat=True))
    assert {"covered", "out_of_scope", "billable"} <= verdicts
    # R16–R18: four weeks of answered escalations behind the attainment figures.
    from comanaged.tickets.clock.models import ResponseClock

    states = set(ResponseClock.objects.values_list("state", flat=True))
    assert {"met", "excluded", "running"} <= states
    history = ResponseClock.objects.filter(state__in=["met", "missed"], response_seconds__isnull=False)
    assert history.count() >= 10 * active and all(c.stopped_at > c.started_at for c in history)
    count = Ticket.objects.count()
    Seeder().run()
    assert Ticket.objects.count() == count  # idempotent
