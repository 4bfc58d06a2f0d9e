"""Fixed vocabularies of the knowledge base."""

from django.db import models


class Visibility(models.TextChoices):
    """Who reads an article or a document (R34). Enforced by ``kb.access``, fail-closed."""

    INTERNAL = "internal", "Provider only"
    CLIENT = "client", "POCs"
    END_USERS = "end_users", "Everyone at the client"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


class FieldType(models.TextChoices):
    """The types a documentation template's field may have; values are checked by ``kb.fields``."""

    TEXT = "text", "Text"
    LONG_TEXT = "long_text", "Long text"
    NUMBER = "number", "Number"
    URL = "url", "URL"
    EMAIL = "email", "E-mail address"
    PHONE = "phone", "Phone number"
    DATE = "date", "Date"
    BOOLEAN = "boolean", "Yes / no"
    CHOICE = "choice", "Choice"
    IP_ADDRESS = "ip_address", "IP address or network"


class RevealOutcome(models.TextChoices):
    """What happened when someone asked to see a secret: every attempt is logged."""

    REVEALED = "revealed", "Revealed"
    RATE_LIMITED = "rate_limited", "Refused: too many reveals"
    DENIED = "denied", "Refused: no access"


class SecretField(models.TextChoices):
    PASSWORD = "password", "Password"
    NOTES = "notes", "Secure notes"
    TOTP = "totp", "One-time code"
