"""The documentation templates and categories a new installation starts with (kb.defaults)."""

from django.db import migrations


def create_defaults(apps, schema_editor):
    from comanaged.kb.defaults import CATEGORIES, TEMPLATES

    Category = apps.get_model("kb", "Category")
    DocumentTemplate = apps.get_model("kb", "DocumentTemplate")
    for position, (name, description) in enumerate(CATEGORIES):
        Category.objects.get_or_create(name=name, defaults={"description": description, "position": position})
    for position, item in enumerate(TEMPLATES):
        DocumentTemplate.objects.get_or_create(
            slug=item["slug"],
            defaults={
                "name": item["name"],
                "icon": item.get("icon", ""),
                "description": item.get("description", ""),
                "fields": item["fields"],
                "body_template": item.get("body", ""),
                "is_runbook": item.get("is_runbook", False),
                "required_for_coverage": item.get("required_for_coverage", False),
                "position": position,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("kb", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
