"""Admin building blocks: forms that show domain problems beside their fields, and saves that
go through the audited write path."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponseRedirect

from comanaged.core.errors import ApplicationError, Problem
from comanaged.core.models import AuditEntry
from comanaged.core.services import delete_audited, save_audited

ProblemsFor = Callable[[Any, dict[str, Any]], list[Problem]]
SaveWith = Callable[[Any, Any, dict[str, Any]], Any]


class DomainProblemsForm(forms.ModelForm):
    """Runs the domain checks after model validation, so errors show beside their fields."""

    problems_for: ProblemsFor | None = None

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        check = type(self).problems_for
        if check is None or self.errors:
            return
        for problem in check(self.instance, self.cleaned_data):
            field = problem.field if problem.field in self.fields else None
            message = problem.message if field or not problem.field else f"{problem.field}: {problem.message}"
            self.add_error(field, ValidationError(message, code=problem.code))


def _bind(form_class: type[forms.ModelForm], problems: ProblemsFor | None) -> type[forms.ModelForm]:
    return type(form_class.__name__, (form_class,), {"problems_for": staticmethod(problems) if problems else None})


class AuditedSaves:
    """Mixin for ModelAdmin and inlines: validate with ``problems``, save with ``save_with``."""

    form: Any = DomainProblemsForm

    def problems(self, instance: Any, cleaned_data: dict[str, Any]) -> list[Problem]:
        return []

    def save_with(self, instance: Any, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return save_audited(instance, actor=actor, m2m=m2m_from(instance, cleaned_data))


def m2m_from(instance: Any, cleaned_data: dict[str, Any]) -> dict[str, Any]:
    """The many-to-many values a form submitted, keyed by field name."""
    return {f.name: cleaned_data[f.name] for f in instance._meta.many_to_many if f.name in cleaned_data}


class AuditedModelAdmin(AuditedSaves, admin.ModelAdmin):
    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> Any:
        """A check that fails only when the rows are saved together (e.g. two inline rows that
        clash) rolls the whole save back and says why, instead of a 500."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ApplicationError as error:
            for problem in error.problems:
                self.message_user(request, f"Nothing was saved: {problem.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        return _bind(super().get_form(request, obj, change, **kwargs), self.problems)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        self.save_with(obj, request.user, form.cleaned_data)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Many-to-many fields are saved by save_with (audited); only the inlines remain.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        inline = next((i for i in self.get_inline_instances(request, form.instance) if i.model is formset.model), None)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            delete_audited(obj, actor=request.user)
        for obj, inline_form in zip(instances, _changed_forms(formset, instances), strict=True):
            saver = inline.save_with if isinstance(inline, AuditedSaves) else AuditedSaves().save_with
            saver(obj, request.user, inline_form.cleaned_data)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        delete_audited(obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for obj in queryset:
            delete_audited(obj, actor=request.user)


def _changed_forms(formset: Any, instances: list[Any]) -> list[Any]:
    by_instance = {id(f.instance): f for f in formset.forms}
    return [by_instance[id(obj)] for obj in instances]


class AuditedInline(AuditedSaves):
    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)  # type: ignore[misc]
        formset.form = _bind(formset.form, self.problems)
        return formset


class AuditEntryAdminBase(admin.ModelAdmin):
    """Read-only view of the audit log (there is no way to change it)."""

    list_display = ("at", "actor_label", "action", "object_type", "object_label")
    list_filter = ("action", "object_type")
    search_fields = ("actor_label", "object_label", "object_id", "note")
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
