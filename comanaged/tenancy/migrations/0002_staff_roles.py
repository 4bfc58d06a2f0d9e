"""The fixed staff roles are rows, so profiles can hold several and queries can filter on them."""

from django.db import migrations

ROLES = [
    "technician",
    "dispatcher",
    "strategic_advisor",
    "technology_alignment_engineer",
    "onboarding_pm",
    "billing",
    "admin",
]


def create_roles(apps, schema_editor):
    StaffRole = apps.get_model("tenancy", "StaffRole")
    for code in ROLES:
        StaffRole.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0001_initial")]
    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
