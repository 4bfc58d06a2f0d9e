"""Error codes of the tenancy app."""

from enum import StrEnum


class TenancyErrorCode(StrEnum):
    LEVEL_REQUIRES_PERSON = "level_requires_person"  # R6, R7
    LEVEL_REQUIRED = "level_required"  # R6
    WRONG_CLIENT = "wrong_client"
    USER_IS_STAFF = "user_is_staff"
    USER_TAKEN = "user_taken"
    ABSENCE_NOT_POC = "absence_not_poc"  # R11
    ABSENCE_OVERLAP = "absence_overlap"
    TIER_REQUIRED = "tier_required"
    TIER_WITHOUT_TECHNICIAN = "tier_without_technician"
    STAFF_IS_PERSON = "staff_is_person"
    HOURS_OVERLAP = "hours_overlap"
