"""Error codes of the agreements app: stable, for the API and tests."""

from enum import StrEnum


class AgreementErrorCode(StrEnum):
    BACKUP_REQUIRED = "backup_required"  # R3
    BACKUP_PRICE_REQUIRED = "backup_price_required"  # R3
    STRATEGIC_ADVISOR_REQUIRED = "strategic_advisor_required"  # R5
    STRATEGIC_ADVISOR_NOT_VERTICAL = "strategic_advisor_not_vertical"  # R5
    TAE_REQUIRED = "technology_alignment_engineer_required"  # R5
    EXTRA_POC_FEE_REQUIRED = "extra_poc_fee_required"  # R2
    LEVEL_FEE_REQUIRED = "level_fee_required"  # R6
    START_DATE_REQUIRED = "start_date_required"
    NOT_DRAFT = "not_draft"
    NOT_ACTIVE = "not_active"
    ALREADY_ACTIVE = "client_has_active_agreement"
    WRONG_CLIENT = "wrong_client"
    TERMINATION_REASON_REQUIRED = "termination_reason_required"
    ENDS_BEFORE_START = "ends_before_start"
