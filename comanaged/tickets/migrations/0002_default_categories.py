"""Sensible default categories; the provider edits the tree afterwards."""

from django.db import migrations

DEFAULTS = {
    "Accounts and access": [("Password reset", ""), ("New user / leaver", ""), ("Permissions", ""),
                            ("MFA deployment", "mfa_deployment")],
    "Email and Microsoft 365": [("Mailbox", ""), ("Teams / SharePoint / OneDrive", ""), ("Licensing", "")],
    "Workstations": [("Hardware fault", ""), ("Operating system", ""), ("Workstation provisioning", "provisioning"),
                     ("Mass software installation", "administrative")],
    "Servers and backup": [("Server", ""), ("Backup and restore", "")],
    "Network and connectivity": [("Internet / ISP", ""), ("Wi-Fi", ""), ("VPN / remote access", ""),
                                 ("Printer connectivity", ""), ("VoIP connectivity", "")],
    "Line-of-business applications": [("Access / availability", ""), ("Vendor liaison", "")],
    "Security": [("Phishing / suspicious e-mail", ""), ("Endpoint alert", ""), ("Incident", "")],
    "Projects and changes": [("Project", "project"), ("Remediation", "remediation")],
}


def create(apps, schema_editor):
    Category = apps.get_model("tickets", "TicketCategory")
    for parent_name, children in DEFAULTS.items():
        parent, _ = Category.objects.get_or_create(name=parent_name, parent=None)
        for name, billable in children:
            Category.objects.get_or_create(name=name, parent=parent, defaults={"billable_kind": billable})


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
