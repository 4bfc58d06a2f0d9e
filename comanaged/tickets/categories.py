"""The default category tree (migration 0002 creates it; a flushed test or demo database gets it
back from here). The provider edits the tree afterwards."""

from __future__ import annotations

from comanaged.tickets.models import BillableKind, TicketCategory

DEFAULTS: dict[str, list[tuple[str, str]]] = {
    "Accounts and access": [
        ("Password reset", ""),
        ("New user / leaver", ""),
        ("Permissions", ""),
        ("MFA deployment", BillableKind.MFA_DEPLOYMENT),
    ],
    "Email and Microsoft 365": [("Mailbox", ""), ("Teams / SharePoint / OneDrive", ""), ("Licensing", "")],
    "Workstations": [
        ("Hardware fault", ""),
        ("Operating system", ""),
        ("Workstation provisioning", BillableKind.PROVISIONING),
        ("Mass software installation", BillableKind.ADMINISTRATIVE),
    ],
    "Servers and backup": [("Server", ""), ("Backup and restore", "")],
    "Network and connectivity": [
        ("Internet / ISP", ""),
        ("Wi-Fi", ""),
        ("VPN / remote access", ""),
        ("Printer connectivity", ""),
        ("VoIP connectivity", ""),
    ],
    "Line-of-business applications": [("Access / availability", ""), ("Vendor liaison", "")],
    "Security": [("Phishing / suspicious e-mail", ""), ("Endpoint alert", ""), ("Incident", "")],
    "Projects and changes": [("Project", BillableKind.PROJECT), ("Remediation", BillableKind.REMEDIATION)],
}


def ensure_default_categories() -> int:
    """Create the default categories that are missing (never touches edited ones); returns how many."""
    if TicketCategory.objects.exists():
        return 0
    created = 0
    for parent_name, children in DEFAULTS.items():
        parent, made = TicketCategory.objects.get_or_create(name=parent_name, parent=None)
        created += made
        for name, billable in children:
            _, made = TicketCategory.objects.get_or_create(
                name=name, parent=parent, defaults={"billable_kind": str(billable)}
            )
            created += made
    return created
