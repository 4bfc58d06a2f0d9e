"""Fixed vocabularies of tickets."""

from django.db import models


class TicketType(models.TextChoices):
    """RULES.md definitions: an incident interrupts or degrades a service; a service request asks
    for something new or changed (access, an install, information, a new user, provisioning)."""

    INCIDENT = "incident", "Incident"
    SERVICE_REQUEST = "service_request", "Service request"


class Source(models.TextChoices):
    PORTAL = "portal", "Portal"
    API = "api", "API"
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    MONITORING = "monitoring", "Monitoring alert"


class Status(models.TextChoices):
    NEW = "new", "New"
    ESCALATED = "escalated", "Escalated"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    WAITING_ON_CLIENT = "waiting_on_client", "Waiting on client"
    WAITING_ON_VENDOR = "waiting_on_vendor", "Waiting on vendor"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class Tier(models.TextChoices):
    """Who holds the ticket: the client's POC, a provider tier, or the vendor (R20)."""

    POC = "poc", "POC"
    L1 = "l1", "L1"
    L2 = "l2", "L2"
    L3 = "l3", "L3"
    VENDOR = "vendor", "Vendor"


class Verdict(models.TextChoices):
    """What the contract says about a ticket before it reaches the desk."""

    COVERED = "covered", "Covered"
    COVERED_NO_TARGET = "covered_no_target", "Covered — no response target"
    BILLABLE = "billable", "Billable"
    OUT_OF_SCOPE = "out_of_scope", "Out of scope"
    ROUTE_TO_POC = "route_to_poc", "Route to the POC"


class Impact(models.TextChoices):
    COMPANY = "company", "Whole company"
    DEPARTMENT = "department", "A department"
    USER = "user", "One user"


class Urgency(models.TextChoices):
    STOPPED = "stopped", "Work is stopped"
    DEGRADED = "degraded", "Degraded, with a workaround"
    IRRITATION = "irritation", "An irritation"
