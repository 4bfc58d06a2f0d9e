"""The audit log refuses UPDATE and DELETE in the database itself (GUIDE convention 5).

Wiping a whole database (``flush``: TRUNCATE on PostgreSQL) stays possible; see
``core/management/commands/flush.py`` for SQLite.
"""

from django.db import migrations

from comanaged.core.migrations._audit_triggers import POSTGRES_DOWN, POSTGRES_UP, SQLITE_DOWN, SQLITE_UP


def forwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
