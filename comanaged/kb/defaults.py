"""The documentation templates and categories a new installation starts with (migration 0002).

The provider edits them afterwards; the ones marked ``required_for_coverage`` make the default
R27 checklist: what Co-managed+ after-hours and PTO coverage needs documented.
"""

from __future__ import annotations

from typing import Any


def _f(key: str, label: str, kind: str = "text", required: bool = False, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "type": kind, "required": required, **extra}


CATEGORIES = [
    ("How-to", "Step-by-step instructions for common tasks."),
    ("Troubleshooting", "Known problems and their fixes."),
    ("Policies", "The client's IT policies and standards."),
    ("Onboarding", "What was learned and agreed during implementation (R24)."),
]

TEMPLATES: list[dict[str, Any]] = [
    {
        "slug": "after-hours-escalation",
        "name": "After-hours escalation process",
        "icon": "moon-stars",
        "is_runbook": True,
        "required_for_coverage": True,
        "description": (
            "Who the desk calls out of hours, in which order, and what may be decided without them (R11, R27)."
        ),
        "fields": [
            _f("first_contact", "First contact (name and role)", required=True),
            _f("first_contact_phone", "First contact phone", "phone", required=True),
            _f("second_contact", "Second contact (name and role)", required=True),
            _f("second_contact_phone", "Second contact phone", "phone"),
            _f("may_restart_servers", "The desk may restart servers without asking", "boolean"),
            _f("spending_limit", "Emergency spending the desk may approve (USD)", "number"),
        ],
        "body": "## When to call\n\n## What the desk may do without asking\n\n## Who to tell afterwards\n",
    },
    {
        "slug": "password-reset",
        "name": "Password-reset process",
        "icon": "key",
        "is_runbook": True,
        "required_for_coverage": True,
        "description": "How an end-user proves who they are before a password or MFA reset.",
        "fields": [
            _f(
                "identity_check",
                "Identity check",
                "choice",
                required=True,
                choices=[
                    "Call back on the number in the directory",
                    "Manager confirms",
                    "Security questions",
                    "In person",
                ],
            ),
            _f("mfa_reset_allowed", "The desk may reset MFA", "boolean", required=True),
            _f("self_service_url", "Self-service reset page", "url"),
        ],
        "body": "## Steps\n\n1. \n\n## Exceptions (VIPs, shared accounts)\n",
    },
    {
        "slug": "onboarding-offboarding",
        "name": "Onboarding and offboarding",
        "icon": "person-plus",
        "is_runbook": True,
        "required_for_coverage": True,
        "description": "Accounts, licences, devices and access for people who join and leave.",
        "fields": [
            _f("requested_by", "Who may request a new account or a removal", required=True),
            _f("notice_days", "Notice needed for a new starter (days)", "number"),
            _f("mailbox_on_leave", "What happens to a leaver's mailbox", required=True),
        ],
        "body": "## Joiner checklist\n\n- [ ] Account\n- [ ] Licence\n- [ ] Device\n\n## Leaver checklist\n",
    },
    {
        "slug": "backup-restore",
        "name": "Backup and restore contacts",
        "icon": "cloud-arrow-up",
        "is_runbook": True,
        "required_for_coverage": True,
        "description": "What is backed up, where, and who approves a restore.",
        "fields": [
            _f("backup_product", "Backup product / service", required=True),
            _f("restore_approver", "Who approves a restore", required=True),
            _f("restore_approver_phone", "Restore approver phone", "phone", required=True),
            _f("retention_days", "Retention (days)", "number"),
            _f("last_restore_test", "Last restore test", "date"),
        ],
        "body": "## What is backed up\n\n## How to restore\n",
    },
    {
        "slug": "critical-lob-apps",
        "name": "Critical line-of-business applications",
        "icon": "app-indicator",
        "is_runbook": True,
        "required_for_coverage": True,
        "description": (
            "The applications the business stops without, their vendors and how to reach support (R19, R28)."
        ),
        "fields": [
            _f("applications", "Applications, most critical first", "long_text", required=True),
            _f("vendor_support_phone", "Vendor support phone", "phone"),
            _f("vendor_support_url", "Vendor support portal", "url"),
        ],
        "body": "## If it stops\n\n## Vendor escalation\n",
    },
    {
        "slug": "network-overview",
        "name": "Network overview",
        "icon": "diagram-3",
        "description": "Address plan, VLANs, Wi-Fi, core switches and firewalls.",
        "fields": [
            _f("lan_subnet", "Main LAN", "ip_address", required=True),
            _f("gateway", "Default gateway", "ip_address"),
            _f("dns_servers", "DNS servers"),
            _f("dhcp_server", "DHCP server"),
            _f("wifi_ssids", "Wi-Fi networks"),
            _f("vlans", "VLANs", "long_text"),
        ],
        "body": "## Diagram\n\n## Notes\n",
    },
    {
        "slug": "internet-isp",
        "name": "Internet / ISP",
        "icon": "globe",
        "description": "Internet circuits: provider, account, static addresses, support line.",
        "fields": [
            _f("isp", "Provider", required=True),
            _f("account_number", "Account number"),
            _f("support_phone", "Support phone", "phone"),
            _f("circuit_id", "Circuit ID"),
            _f("bandwidth", "Bandwidth"),
            _f("static_ips", "Static addresses", "ip_address"),
        ],
        "body": "",
    },
    {
        "slug": "server",
        "name": "Server",
        "icon": "hdd-rack",
        "description": "One server: role, address, operating system, what depends on it.",
        "fields": [
            _f("role", "Role", required=True),
            _f("ip_address", "IP address", "ip_address"),
            _f("operating_system", "Operating system"),
            _f("location", "Location"),
            _f("virtual", "Virtual machine", "boolean"),
        ],
        "body": "## What depends on it\n\n## Maintenance window\n",
    },
    {
        "slug": "lob-application",
        "name": "Line-of-business application",
        "icon": "window-stack",
        "description": "One application listed in the agreement (R19): versions, servers, vendor support.",
        "fields": [
            _f("version", "Version"),
            _f("server", "Server"),
            _f("licence_count", "Licences", "number"),
            _f("vendor_support_phone", "Vendor support phone", "phone"),
        ],
        "body": "",
    },
    {
        "slug": "backups",
        "name": "Backups",
        "icon": "archive",
        "description": "Backup jobs, schedules and where copies are kept.",
        "fields": [
            _f("product", "Product", required=True),
            _f("schedule", "Schedule"),
            _f("offsite", "Off-site copy", "boolean"),
        ],
        "body": "",
    },
    {
        "slug": "vendor-contract",
        "name": "Vendor and support contract",
        "icon": "patch-check",
        "description": (
            "A vendor relationship; link the agreement's vendor coverage record (R28) instead of copying it."
        ),
        "fields": [
            _f("vendor", "Vendor", required=True),
            _f("account_manager", "Account manager"),
            _f("support_phone", "Support phone", "phone"),
            _f("support_email", "Support e-mail", "email"),
            _f("renewal_date", "Renewal date", "date"),
        ],
        "body": "",
    },
    {
        "slug": "internal-process",
        "name": "Internal process",
        "icon": "list-check",
        "is_runbook": True,
        "description": "Any other internal process the POC documents (R24).",
        "fields": [_f("owner", "Process owner", required=True)],
        "body": "## Steps\n\n1. \n",
    },
    {
        "slug": "escalation-contacts",
        "name": "Escalation contacts",
        "icon": "telephone-forward",
        "description": "Who decides what at the client, by subject.",
        "fields": [
            _f("it_decisions", "IT decisions", required=True),
            _f("security_incidents", "Security incidents", required=True),
            _f("purchases", "Purchases"),
        ],
        "body": "",
    },
]
