"""The knowledge base (R34): articles, structured environment documents, runbooks (R27) and the
credential vault. Who reads what is decided in ``kb.access``; writes go through ``kb.services``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from comanaged.agreements.models import Agreement, ListedApplication, VendorCoverage
from comanaged.core.crypto import EncryptedTextField
from comanaged.core.models import TimeStampedModel
from comanaged.kb.choices import ArticleStatus, RevealOutcome, SecretField, Visibility
from comanaged.tenancy.models import Client, ClientOwnedModel, Site
from comanaged.tenancy.scoping import client_scope
from comanaged.tickets.models import Ticket

_USER = settings.AUTH_USER_MODEL


class Category(models.Model):
    """A provider-defined shelf for articles (e.g. *How-to*, *Policies*, *Troubleshooting*)."""

    name = models.CharField(max_length=80, unique=True)
    description = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    """A free label on articles, normalised to lower case (``kb.services.normalise_tags``)."""

    name = models.CharField(max_length=40, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(models.QuerySet["Article"]):
    def for_user(self, user: Any) -> ArticleQuerySet:
        """The tenant half of access: provider-wide articles and the user's clients' articles.
        Visibility and drafts are the other half (``kb.access.visible_articles``)."""
        scope = client_scope(user)
        if scope.all_clients:
            return self.all()
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        return self.filter(models.Q(client__isnull=True) | models.Q(client_id__in=scope.client_ids))


class Article(TimeStampedModel):
    """A Markdown article of one client, or provider-wide when ``client`` is empty (read-only to
    clients). Its text lives in immutable :class:`ArticleVersion` rows: editors see the newest,
    readers the published one."""

    client = models.ForeignKey(Client, null=True, blank=True, on_delete=models.CASCADE, related_name="articles")
    title = models.CharField(max_length=200)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles")
    tags = models.ManyToManyField(Tag, blank=True, related_name="articles")
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.CLIENT)
    status = models.CharField(max_length=10, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    current_version = models.ForeignKey(
        "ArticleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_version = models.ForeignKey(
        "ArticleVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tickets = models.ManyToManyField(Ticket, blank=True, related_name="articles")
    sites = models.ManyToManyField(Site, blank=True, related_name="articles")
    applications = models.ManyToManyField(ListedApplication, blank=True, related_name="articles")

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title", "id"]
        indexes = [models.Index(fields=["client", "status", "visibility"], name="article_reader")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_provider_wide(self) -> bool:
        return self.client_id is None

    @property
    def has_unpublished_changes(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED and self.current_version_id != self.published_version_id


class ArticleVersion(models.Model):
    """One saved state of an article; never changed. Restoring an old one adds a new version."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    note = models.CharField("change note", max_length=200, blank=True)
    # The article's visibility when this version was saved: a version written while the article
    # was provider-only stays hidden from the client after the article is shared with it.
    visibility = models.CharField(max_length=12, choices=Visibility.choices, default=Visibility.CLIENT)
    author = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_label = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["article", "-number"]
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_number")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


class ArticleAttachment(models.Model):
    """A file on an article (images it shows, PDFs it refers to), stored by ``core.files``."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    key = models.CharField(max_length=64, editable=False)
    name = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.name


class DocumentTemplate(TimeStampedModel):
    """What the provider asks to be documented (IT Glue's flexible assets): typed fields plus a
    Markdown body to start from. ``fields`` is a list of ``{key, label, type, required, choices,
    help}``, checked by ``kb.fields``."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.CharField(max_length=300, blank=True)
    icon = models.CharField(max_length=40, blank=True, help_text="A Bootstrap icon name, e.g. 'hdd-network'.")
    fields = models.JSONField(default=list, blank=True)
    body_template = models.TextField(blank=True)
    is_runbook = models.BooleanField(default=False, help_text="An internal process or runbook (R24, R27).")
    required_for_coverage = models.BooleanField(
        default=False,
        help_text="On the default checklist Co-managed+ after-hours and PTO coverage needs (R27).",
    )
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


class Document(ClientOwnedModel):
    """A filled-in template about one client's environment. The POC may write it (MyGlue)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="documents")
    template = models.ForeignKey(DocumentTemplate, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(max_length=200)
    values = models.JSONField(default=dict, blank=True)
    body = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=12,
        choices=[(Visibility.INTERNAL, Visibility.INTERNAL.label), (Visibility.CLIENT, Visibility.CLIENT.label)],
        default=Visibility.CLIENT,
    )
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    applications = models.ManyToManyField(ListedApplication, blank=True, related_name="documents")
    vendor_coverages = models.ManyToManyField(VendorCoverage, blank=True, related_name="documents")
    sites = models.ManyToManyField(Site, blank=True, related_name="documents")

    class Meta:
        ordering = ["template__position", "title", "id"]

    def __str__(self) -> str:
        return self.title


class Credential(ClientOwnedModel):
    """A login kept with a document. Secrets are envelope-encrypted (``core.crypto``) and leave
    the vault only through ``kb.services.credential_reveal``, which logs every attempt."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="credentials")
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="credentials")
    name = models.CharField(max_length=120)
    username = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=500, blank=True)
    password = EncryptedTextField(blank=True, null=True)
    notes = EncryptedTextField("secure notes", blank=True, null=True)
    totp_seed = EncryptedTextField("TOTP seed", blank=True, null=True)
    created_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class CredentialAccess(ClientOwnedModel):
    """Every attempt to reveal a secret, allowed or refused; the client's POCs read this log.
    It outlives the credential (the label keeps what it was)."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="credential_accesses")
    credential = models.ForeignKey(
        Credential, null=True, blank=True, on_delete=models.SET_NULL, related_name="accesses"
    )
    credential_label = models.CharField(max_length=200)
    user = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    user_label = models.CharField(max_length=254)
    field = models.CharField(max_length=10, choices=SecretField.choices)
    outcome = models.CharField(max_length=14, choices=RevealOutcome.choices)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    # Whether the client's POCs may read this row: false for credentials of provider-only
    # documents, whose names they must not learn from the log (kept as it was at the time).
    visible_to_client = models.BooleanField(default=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "outcome", "at"], name="reveal_rate")]
        verbose_name_plural = "credential accesses"

    def __str__(self) -> str:
        return f"{self.user_label} {self.outcome} {self.credential_label}"


class RunbookChecklist(models.Model):
    """An agreement's own list of the documents Co-managed+ coverage needs (R27). Without one,
    the templates marked ``required_for_coverage`` make the list."""

    agreement = models.OneToOneField(Agreement, on_delete=models.CASCADE, related_name="runbook_checklist")
    templates = models.ManyToManyField(DocumentTemplate, blank=True, related_name="+")
    updated_by = models.ForeignKey(_USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Runbook checklist of {self.agreement}"
