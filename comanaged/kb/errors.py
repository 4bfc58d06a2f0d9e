"""The knowledge base's error vocabulary (GUIDE convention 4)."""

from enum import StrEnum


class KbErrorCode(StrEnum):
    INVALID = "invalid"
    TOO_LARGE = "too_large"
    NOT_FOUND = "not_found"
    VISIBILITY_NOT_ALLOWED = "visibility_not_allowed"
    READ_ONLY = "read_only"
    TEMPLATE_FIELD_INVALID = "template_field_invalid"
    TEMPLATE_IN_USE = "template_in_use"
    VALUE_INVALID = "value_invalid"
    UNKNOWN_FIELD = "unknown_field"
    WRONG_CLIENT = "wrong_client"
    RATE_LIMITED = "rate_limited"
    NO_SECRET = "no_secret"  # noqa: S105 - an error code, not a password
    VERSION_CONFLICT = "version_conflict"
    IMPORT_INVALID = "import_invalid"
