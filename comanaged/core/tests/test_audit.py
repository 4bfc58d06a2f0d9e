"""The audit log: every write recorded, before → after, and nothing can rewrite it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from comanaged.agreements.tests.factories import VendorCoverageFactory
from comanaged.core import audit
from comanaged.core.models import AuditEntry, AuditLogIsAppendOnly
from comanaged.tenancy.models import Client
from comanaged.tenancy.services import client_save
from comanaged.tenancy.tests.factories import ClientFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_service_write_records_who_what_and_before_after():
    actor = UserFactory(email="dana@msp.test")
    client = ClientFactory(name="Acme")
    client.time_zone = "America/Chicago"
    client_save(client=client, actor=actor)

    entry = AuditEntry.objects.filter(object_type="tenancy.client", action="update").get()
    assert entry.actor == actor
    assert entry.actor_label == "dana@msp.test"
    assert entry.client_id == client.pk
    assert entry.changes == {"time_zone": ["America/New_York", "America/Chicago"]}


def test_orm_updates_and_deletes_of_entries_are_refused():
    entry = audit.record(actor=None, action="test", object_type="x", object_id="1")
    entry.note = "rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(note="x")
    with pytest.raises(AuditLogIsAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


@pytest.mark.parametrize(
    "statement",
    ["UPDATE core_auditentry SET note = 'forged' WHERE id = %s", "DELETE FROM core_auditentry WHERE id = %s"],
)
def test_the_database_refuses_raw_update_and_delete(statement):
    """On PostgreSQL a trigger refuses them (and on SQLite too), whatever the code path."""
    entry = audit.record(actor=None, action="test", object_type="x", object_id="1")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.get(pk=entry.pk).note == ""


def test_secrets_and_password_hashes_never_reach_the_log():
    import hashlib

    coverage = VendorCoverageFactory()
    coverage.support_pin = "483920"
    assigned = audit.snapshot(coverage)
    coverage.save()
    stored = audit.snapshot(type(coverage).objects.get(pk=coverage.pk))
    user = UserFactory()
    assert audit.snapshot(user)["password"].startswith(audit.REDACTED)
    for snapshot in (assigned, stored):
        assert snapshot["support_pin"].startswith(audit.REDACTED)
        # Neither the value nor an unsalted digest of it (a short PIN is found by brute force).
        assert "483920" not in str(snapshot) and hashlib.sha256(b"483920").hexdigest()[:10] not in str(snapshot)
    coverage.support_pin = "111111"
    changed = audit.snapshot(coverage)
    assert audit.diff(stored, changed)["support_pin"][1] != stored["support_pin"]  # the change shows


def test_diff_lists_only_changed_fields():
    assert audit.diff({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": [2, 3], "c": [None, 4]}


def test_a_refused_write_leaves_no_entry():
    client = ClientFactory()
    count = AuditEntry.objects.count()
    client.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(Exception, match="time zone"):
        client_save(client=client, actor=None)
    assert AuditEntry.objects.count() == count
    assert Client.objects.get(pk=client.pk).time_zone == "America/New_York"


@pytest.mark.django_db(transaction=True)
def test_flush_still_wipes_the_database_and_keeps_the_triggers():
    """Test isolation (flush) is not an edit of the log; the triggers are back afterwards."""
    audit.record(actor=None, action="test", object_type="x", object_id="1")
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEntry.objects.count() == 0
    entry = audit.record(actor=None, action="test", object_type="x", object_id="2")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditentry WHERE id = %s", [entry.pk])
