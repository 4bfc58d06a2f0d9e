"""Forms of the article pages (R34). They shape the input only: what may be written, by whom,
and every limit are ``kb.services``' and ``kb.access``' to decide; their refusals are shown
beside the field they name."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from comanaged.core.errors import ApplicationError
from comanaged.kb import access
from comanaged.kb.choices import Visibility
from comanaged.kb.models import Article, Category

# A service's field name → the form field that shows its problem.
FIELD_OF_PROBLEM = {"title": "title", "body": "body", "visibility": "visibility", "tags": "tags", "status": None}
TAG_SEPARATOR = ","


def split_tags(text: str) -> list[str]:
    """``"VPN, remote access ,"`` → ``["VPN", "remote access"]``; the service normalises them."""
    return [part.strip() for part in (text or "").split(TAG_SEPARATOR) if part.strip()]


class _Styled:
    """Bootstrap classes on every widget and ``is-invalid`` on the fields with errors."""

    fields: dict[str, forms.Field]
    errors: Any

    def style(self) -> None:
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput):
                continue
            widget.attrs.setdefault("class", "form-select" if isinstance(widget, forms.Select) else "form-control")

    def mark_invalid(self) -> Any:
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        return self


class ArticleForm(_Styled, forms.Form):
    """Title, Markdown text, who reads it, shelf, tags, a change note and the version the
    editor started from (a conflict is the service's to detect)."""

    title = forms.CharField(max_length=400, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"}))
    body = forms.CharField(
        label="Text (Markdown)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true", "class": "form-control cm-kb-editor"}),
    )
    # Validated against every visibility so that a refused one gets the service's own message
    # ("Provider-only pages are written by the provider…"); the menu offers the allowed ones.
    visibility = forms.ChoiceField(label="Who can read it", choices=Visibility.choices)
    category = forms.ModelChoiceField(
        queryset=Category.objects.all(), required=False, empty_label="No category", label="Category"
    )
    tags = forms.CharField(
        required=False,
        max_length=1_000,
        help_text="Comma-separated, e.g. vpn, remote access",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    note = forms.CharField(
        label="Change note",
        required=False,
        max_length=200,
        help_text="What changed, for the history (optional).",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    base_version = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, article: Article | None = None, **kwargs: Any) -> None:
        if article is not None and not kwargs.get("data"):
            version = article.current_version
            kwargs.setdefault(
                "initial",
                {
                    "title": version.title if version else article.title,
                    "body": version.body if version else "",
                    "visibility": article.visibility,
                    "category": article.category_id,
                    "tags": ", ".join(tag.name for tag in article.tags.all()),
                    "base_version": version.number if version else None,
                },
            )
        super().__init__(*args, **kwargs)
        allowed = access.allowed_visibilities(user)
        visibility = self.fields["visibility"]
        visibility.widget.choices = [(value, label) for value, label in Visibility.choices if value in allowed]
        if article is None:
            visibility.initial = Visibility.CLIENT
        self.fields["title"].widget.attrs["autofocus"] = True
        self.style()

    def tag_names(self) -> list[str]:
        return split_tags(self.cleaned_data.get("tags", ""))

    def add_problems(self, error: ApplicationError) -> None:
        """A service's refusal, beside the field it names (or above the form)."""
        for problem in error.problems:
            field = FIELD_OF_PROBLEM.get(problem.field or "")
            self.add_error(field if field in self.fields else None, problem.message)


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File", widget=forms.ClearableFileInput(attrs={"class": "form-control"}))

    def upload(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        return upload
