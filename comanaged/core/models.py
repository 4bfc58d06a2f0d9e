"""Base models and the append-only audit log."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    """Every domain row knows when it was created and last changed."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class HttpsURLField(models.URLField):
    """A URL column whose form reads a bare host as https:// (Django 6's default, today)."""

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)


class AuditLogIsAppendOnly(Exception):
    """Raised by any attempt to change or delete an audit entry through the ORM."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("audit entries cannot be updated")

    def delete(self) -> NoReturn:
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")

    def for_client(self, client_id: int) -> AuditEntryQuerySet:
        return self.filter(client_id=client_id)


class AuditEntry(models.Model):
    """One human or configuration write: who, when, what, before → after.

    Append-only: there is no update or delete path in the code, and database triggers
    (PostgreSQL and SQLite, see migration 0002) refuse UPDATE and DELETE outright.
    Telemetry is history, not audit, and never lands here.
    """

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # No database constraint and DO_NOTHING: the log must outlive (and never rewrite for)
    # the user; actor_label keeps who it was at the time.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=64, db_index=True)
    object_type = models.CharField(max_length=100, db_index=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=255, blank=True)
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    changes = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("audit entries cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditLogIsAppendOnly("audit entries cannot be deleted")


class WorkerHeartbeat(models.Model):
    """A background worker's sign of life, written every few seconds by ``comanaged worker``.

    The health endpoint reports the worker as up while a heartbeat is recent.
    """

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname} (pid {self.pid})"


class SchedulerLease(models.Model):
    """Who runs the periodic jobs right now: one row per lease, held until ``expires_at`` and
    renewed while the holder lives; another scheduler takes it over once it lapses."""

    name = models.CharField(max_length=64, primary_key=True)
    holder = models.CharField(max_length=128)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.holder} until {self.expires_at:%H:%M:%S}"


class SearchEntry(models.Model):
    """One searchable thing (an article, an environment document, a ticket …): the text the
    full-text index reads, with who may find it. Written only by :mod:`comanaged.core.search`.

    Rows are derived data: the owning app rebuilds them from its own tables and nothing else
    refers to them. ``client_id`` is a plain column (core is the lowest app, so no foreign key;
    ``None`` = provider-wide) and ``tags`` holds the tenant, audience and kind lexemes that
    ``search.entry_tags`` derives from ``client_id``, ``audience`` and ``kind`` — the index
    matches on them, so a reader's restrictions are part of the full-text query itself.

    The full-text index lives beside the table, made by raw SQL in migration 0005 (it is no
    Django field): an external-content FTS5 table ``core_searchentry_fts`` kept in step by
    triggers on SQLite; a generated ``search_vector`` column with a GIN index on PostgreSQL.
    A later migration that changes this table must keep them: on SQLite, Django rebuilds a
    changed table and its triggers go with it; on PostgreSQL, a column the generated
    ``search_vector`` reads cannot change type while it exists.
    """

    kind = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    client_id = models.BigIntegerField(null=True, blank=True)
    audience = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    tags = models.CharField(max_length=200, editable=False)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "object_id"], name="core_searchentry_kind_object")]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id}: {self.title}"


class SearchWord(models.Model):
    """A word that occurs in some indexed text, for prefix search: a term as typed ("prin")
    stands for the words that start with it ("print", "printer", …), the most common first.

    Written only by :mod:`comanaged.core.search`. Words are added as text is indexed and never
    removed (a word no entry holds any more costs one empty lookup); ``entries`` counts the
    entries it came with in bulk indexing (``index_many``), a hint for ordering completions.
    """

    word = models.CharField(max_length=40, primary_key=True)
    entries = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return self.word
