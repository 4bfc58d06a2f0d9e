"""Fixed vocabularies of agreements."""

from django.db import models


class Plan(models.TextChoices):
    """R1: the two plans; either may be a vertical offer."""

    CO_MANAGED = "co_managed", "Co-managed"
    CO_MANAGED_PLUS = "co_managed_plus", "Co-managed+"


class AgreementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    TERMINATED = "terminated", "Terminated"


class BackupService(models.TextChoices):
    """R3: one of these is required on every agreement."""

    SERVER_BACKUP = "server_backup", "Server Backup"
    SERVER_BACKUP_DR = "server_backup_dr", "Server Backup with DR"


class DeviceClass(models.TextChoices):
    WORKSTATION = "workstation", "Workstation"
    LAPTOP = "laptop", "Laptop"
    TABLET = "tablet", "Tablet"
    SERVER = "server", "Server"
    SWITCH = "switch", "Switch"
    ROUTER = "router", "Router"
    FIREWALL = "firewall", "Firewall"
    ACCESS_POINT = "access_point", "Access point"
    PRINTER = "printer", "Printer"
    VOIP_PHONE = "voip_phone", "VoIP phone"
    MOBILE = "mobile", "Mobile phone"
    OTHER = "other", "Other"


DEFAULT_COVERED_DEVICE_CLASSES = [c.value for c in DeviceClass if c is not DeviceClass.OTHER]


class Ownership(models.TextChoices):
    CLIENT = "client", "Client-owned"
    PROVIDER = "provider", "Provider-owned"
    USER_BYOD = "user_byod", "User-owned (BYOD for business)"
    USER_OTHER = "user_other", "User-owned (other)"


class Priority(models.TextChoices):
    """R16 priorities with the service description's definitions."""

    P1 = "P1", "P1 Critical — whole company affected, major business processes stopped"
    P2 = "P2", "P2 High — major business processes stopped for a department or single user"
    P3 = "P3", "P3 Medium — business degraded, reasonable workaround"
    P4 = "P4", "P4 Normal — an irritation rather than a stoppage"


class CoverageKind(models.TextChoices):
    HARDWARE = "hardware", "Hardware"
    SOFTWARE = "software", "Software"
    HARDWARE_SOFTWARE = "hardware_software", "Hardware and software"


class ProvisioningConfiguration(models.TextChoices):
    STANDARD = "standard", "Standard configuration"
    NON_STANDARD = "non_standard", "Non-standard configuration"


class ProvisioningDelivery(models.TextChoices):
    REMOTE = "remote", "Remote"
    ON_SITE = "on_site", "On-site"
