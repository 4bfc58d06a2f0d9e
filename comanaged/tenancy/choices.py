"""Fixed vocabularies of the tenancy app."""

from django.db import models


class StaffRoleCode(models.TextChoices):
    TECHNICIAN = "technician", "Technician"
    DISPATCHER = "dispatcher", "Dispatcher"
    STRATEGIC_ADVISOR = "strategic_advisor", "Strategic Advisor"
    TECHNOLOGY_ALIGNMENT_ENGINEER = "technology_alignment_engineer", "Technology Alignment Engineer"
    ONBOARDING_PM = "onboarding_pm", "Onboarding project manager"
    BILLING = "billing", "Billing"
    ADMIN = "admin", "Administrator"


class Tier(models.IntegerChoices):
    L1 = 1, "L1"
    L2 = 2, "L2"
    L3 = 3, "L3"


class PersonKind(models.TextChoices):
    """Whether a client's person record is a human (R7: only humans are counted end-users)."""

    EMPLOYEE = "employee", "Employee"
    CONTRACTOR = "contractor", "Contractor"
    SERVICE_ACCOUNT = "service_account", "Service account"
    SHARED_MAILBOX = "shared_mailbox", "Shared / room mailbox"

    @classmethod
    def humans(cls) -> frozenset[str]:
        return frozenset({cls.EMPLOYEE, cls.CONTRACTOR})


class UserLevel(models.TextChoices):
    """R6 user levels, each with its own fee."""

    POC = "poc", "Streamline IT user (POC)"
    END_USER = "end_user", "End-user"
    VIP = "vip", "VIP user"
    PARTIAL = "partial", "Partial user"
    EMAIL_ONLY = "email_only", "Email-only user"


class AbsenceKind(models.TextChoices):
    PTO = "pto", "PTO / vacation"
    SICK = "sick", "Sick leave"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"
