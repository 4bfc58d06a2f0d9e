"""Admin pages of the knowledge base: documentation templates (saved through
``kb.documents.template_save`` so their typed fields are validated, and a field documents
already use keeps its key and type), categories, and read-only lists of articles, documents and
the credential reveal log. Secrets never appear here: credentials have no admin page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from comanaged.core.admin import AuditedModelAdmin
from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.services import save_audited
from comanaged.kb import access
from comanaged.kb.documents import template_save
from comanaged.kb.fields import parse_specs
from comanaged.kb.models import Article, Category, CredentialAccess, Document, DocumentTemplate
from comanaged.tenancy.admin_base import RoleGated, ScopedAdmin
from comanaged.tenancy.permissions import Area


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(RoleGated, AuditedModelAdmin):
    area = Area.KNOWLEDGE_TEMPLATES
    list_display = ("name", "slug", "is_runbook", "required_for_coverage", "is_active", "position")
    list_filter = ("is_runbook", "required_for_coverage", "is_active")
    search_fields = ("name", "slug", "description")
    readonly_fields = ("slug",)
    fields = (
        "name",
        "slug",
        "description",
        "icon",
        "fields",
        "body_template",
        "is_runbook",
        "required_for_coverage",
        "is_active",
        "position",
    )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # documents point at their template (PROTECT): retire it with "is active" instead

    def problems(self, instance: DocumentTemplate, cleaned_data: dict[str, Any]) -> list[Problem]:
        """The typed fields' definition, checked beside the field before anything is saved."""
        try:
            parse_specs(cleaned_data.get("fields"))
        except ApplicationError as error:
            return [Problem(p.code, p.message, "fields") for p in error.problems]
        return []

    def save_with(self, instance: DocumentTemplate, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        # The form already copied the new values onto ``instance``; the service must compare them
        # with what is stored (a field in use keeps its key and type), so it gets a fresh copy.
        stored = DocumentTemplate.objects.get(pk=instance.pk) if instance.pk else None
        if stored is not None:
            stored.position = instance.position
        saved = template_save(
            actor=actor,
            template=stored,
            name=instance.name,
            fields=instance.fields,
            description=instance.description,
            body_template=instance.body_template,
            icon=instance.icon,
            is_runbook=instance.is_runbook,
            required_for_coverage=instance.required_for_coverage,
            is_active=instance.is_active,
        )
        if stored is None and saved.position != instance.position:
            saved.position = instance.position
            saved = save_audited(saved, actor=actor)
        instance.pk, instance.slug = saved.pk, saved.slug  # the admin's redirect and message use them
        instance._state.adding = False
        return saved


@admin.register(Category)
class CategoryAdmin(RoleGated, AuditedModelAdmin):
    area = Area.KNOWLEDGE_TEMPLATES
    list_display = ("name", "description", "position")
    search_fields = ("name",)


class ReadOnly:
    """A list to look at; writes go through the pages and their services."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(CredentialAccess)
class CredentialAccessAdmin(ReadOnly, ScopedAdmin):
    """Who revealed (or tried to reveal) which secret: scoped to the user's clients."""

    area = Area.KNOWLEDGE
    list_display = ("at", "user_label", "client", "credential_label", "field", "outcome", "ip_address")
    list_filter = ("outcome", "field")
    search_fields = ("user_label", "credential_label")
    date_hierarchy = "at"
    list_select_related = ("client",)


@admin.register(Document)
class DocumentAdmin(ReadOnly, ScopedAdmin):
    area = Area.KNOWLEDGE
    list_display = ("title", "client", "template", "visibility", "updated_at")
    list_filter = ("template", "visibility")
    search_fields = ("title", "client__name")
    list_select_related = ("client", "template")
    exclude = ("values", "body")  # read them on the document's page, rendered safely

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        return access.visible_documents(request.user)


@admin.register(Article)
class ArticleAdmin(ReadOnly, ScopedAdmin):
    area = Area.KNOWLEDGE
    list_display = ("title", "client", "category", "visibility", "status", "updated_at")
    list_filter = ("status", "visibility", "category")
    search_fields = ("title", "client__name")
    list_select_related = ("client", "category")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Article]:
        return access.visible_articles(request.user)
