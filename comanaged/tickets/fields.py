"""Which fields of a ticket people fill in — one list for forms, the API and the edit rule."""

# Everything the client says about a ticket (the desk may change all of it too).
EDITABLE_FIELDS = (
    "title",
    "type",
    "category",
    "priority",
    "impact",
    "urgency",
    "description",
    "tried",
    "error_messages",
    "conditions",
    "affected_person",
    "site",
    "application",
    "application_name",
    "on_site_requested",
    "device_name",
    "device_class",
    "device_ownership",
    "device_beyond_vendor_support",
)
# An end-user describes their own problem; who is affected and what the contract covers is the
# POC's call (otherwise they could hand a ticket to a colleague or change its verdict's facts).
END_USER_FIELDS = ("title", "type", "category", "priority", "description", "tried", "error_messages", "conditions")
