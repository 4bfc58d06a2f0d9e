"""Error codes of the webhooks app: stable, for the API and tests."""

from enum import StrEnum


class WebhookErrorCode(StrEnum):
    URL_NOT_ALLOWED = "webhook_url_not_allowed"  # scheme, credentials, or where the host resolves
    UNKNOWN_EVENT = "webhook_unknown_event"
    EVENTS_REQUIRED = "webhook_events_required"
    ENDPOINT_INACTIVE = "webhook_endpoint_inactive"
