"""Forms of the environment-document pages: a document form generated from its template's typed
fields (``kb.fields``), the credential form (secrets are write-only: never rendered back), the
runbook-checklist form and the import upload.

The forms only shape input; every rule (types, links, visibility, who may write) is checked by
the services, whose problems are put back beside the right field with :func:`add_problems`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from comanaged.agreements.models import ListedApplication, VendorCoverage
from comanaged.core.errors import ApplicationError
from comanaged.kb import access
from comanaged.kb.choices import FieldType, Visibility
from comanaged.kb.fields import FieldSpec, parse_specs
from comanaged.kb.models import Credential, Document, DocumentTemplate
from comanaged.tenancy.models import Client, Site

VALUE_PREFIX = "value_"
YES, NO = "yes", "no"
# The field names the services use in their problems, when they differ from the form's.
SERVICE_FIELDS = {"vendor_coverages": "vendor_coverages", "applications": "applications", "sites": "sites"}


def _css(widget: forms.Widget) -> None:
    if isinstance(widget, forms.CheckboxSelectMultiple | forms.RadioSelect):
        return
    if isinstance(widget, forms.CheckboxInput):
        widget.attrs["class"] = "form-check-input"
    elif isinstance(widget, forms.Select):
        widget.attrs["class"] = "form-select"
    else:
        widget.attrs["class"] = "form-control"


def _value_field(spec: FieldSpec) -> forms.Field:
    """A form field for one typed template field. Never required here: a document may be saved
    half done (R27 counts the required ones as missing); the type is checked by the service."""
    common: dict[str, Any] = {"label": spec.label, "help_text": spec.help, "required": False}
    kind = spec.type
    if kind == FieldType.LONG_TEXT:
        return forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=20_000, strip=False, **common)
    if kind == FieldType.BOOLEAN:
        return forms.ChoiceField(choices=[("", "Not answered"), (YES, "Yes"), (NO, "No")], **common)
    if kind == FieldType.CHOICE:
        return forms.ChoiceField(choices=[("", "Not chosen"), *[(choice, choice) for choice in spec.choices]], **common)
    widgets: dict[str, forms.Widget] = {
        FieldType.NUMBER: forms.TextInput(attrs={"inputmode": "decimal"}),
        FieldType.URL: forms.URLInput(attrs={"placeholder": "https://"}),
        FieldType.EMAIL: forms.EmailInput(),
        FieldType.PHONE: forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        FieldType.DATE: forms.DateInput(attrs={"type": "date"}),
        FieldType.IP_ADDRESS: forms.TextInput(attrs={"placeholder": "10.0.0.10 or 10.0.0.0/24", "spellcheck": "false"}),
    }
    # A plain CharField for every other type: the browser's own checks help, the service decides.
    return forms.CharField(widget=widgets.get(kind, forms.TextInput()), max_length=500, **common)


def _initial(spec: FieldSpec, value: Any) -> Any:
    if spec.type == FieldType.BOOLEAN and isinstance(value, bool):
        return YES if value else NO
    return value


class LinkChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        if isinstance(obj, VendorCoverage):
            return f"{obj.vendor}: {obj.covers}"
        if isinstance(obj, ListedApplication):
            return f"{obj.name} ({obj.vendor})" if obj.vendor else obj.name
        if isinstance(obj, Site):
            return obj.name
        return str(obj)


class DocumentForm(forms.Form):
    """Title, the template's typed values, the Markdown body, visibility and links to the
    client's own records (listed applications, vendor coverage — linked, never copied, R28 —
    and sites)."""

    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Notes (Markdown)",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "aria-label": "Notes (Markdown)"}),
    )
    visibility = forms.ChoiceField(widget=forms.RadioSelect, required=False)
    applications = LinkChoice(
        queryset=ListedApplication.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    vendor_coverages = LinkChoice(
        label="Vendor coverage (R28)",
        queryset=VendorCoverage.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sites = LinkChoice(queryset=Site.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(
        self,
        data: Any = None,
        *,
        user: Any,
        client: Client,
        template: DocumentTemplate,
        document: Document | None = None,
    ) -> None:
        self.specs: list[FieldSpec] = parse_specs(template.fields)
        initial: dict[str, Any]
        if document is None:
            initial = {"title": template.name, "body": template.body_template, "visibility": Visibility.CLIENT}
        else:
            initial = {
                "title": document.title,
                "body": document.body,
                "visibility": document.visibility,
                "applications": list(document.applications.all()),
                "vendor_coverages": list(document.vendor_coverages.all()),
                "sites": list(document.sites.all()),
            }
            stored = document.values or {}
            for spec in self.specs:
                if spec.key in stored:
                    initial[VALUE_PREFIX + spec.key] = _initial(spec, stored[spec.key])
        super().__init__(data, initial=initial)
        # The typed fields go between the title and the body, in the template's order.
        ordered: dict[str, forms.Field] = {"title": self.fields.pop("title")}
        for spec in self.specs:
            ordered[VALUE_PREFIX + spec.key] = _value_field(spec)
        ordered.update(self.fields)
        self.fields = ordered
        visibilities = [v for v in (Visibility.INTERNAL, Visibility.CLIENT) if v in access.allowed_visibilities(user)]
        self.fields["visibility"].choices = [(v, Visibility(v).label) for v in visibilities]  # type: ignore[attr-defined]
        self.single_visibility = len(visibilities) == 1
        links: dict[str, QuerySet[Any]] = {
            "applications": ListedApplication.objects.filter(client=client).order_by("name", "pk"),
            "vendor_coverages": VendorCoverage.objects.filter(client=client).order_by("vendor", "covers", "pk"),
            "sites": Site.objects.filter(client=client).order_by("name", "pk"),
        }
        for name, queryset in links.items():
            self.fields[name].queryset = queryset  # type: ignore[attr-defined]
        for field in self.fields.values():
            _css(field.widget)
        self.required_keys = {VALUE_PREFIX + spec.key for spec in self.specs if spec.required}

    # -- what the template shows ---------------------------------------------------------------
    def value_fields(self) -> list[forms.BoundField]:
        return [self[VALUE_PREFIX + spec.key] for spec in self.specs]

    def has_links(self) -> bool:
        return any(self.fields[name].queryset.exists() for name in SERVICE_FIELDS)  # type: ignore[attr-defined]

    # -- what the service gets -----------------------------------------------------------------
    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {
            spec.key: data[VALUE_PREFIX + spec.key]
            for spec in self.specs
            if data.get(VALUE_PREFIX + spec.key) not in (None, "")
        }
        return {
            "title": data["title"],
            "values": values,
            "body": data.get("body") or "",
            "visibility": data.get("visibility") or None,
            "application_ids": [row.pk for row in data.get("applications") or []],
            "coverage_ids": [row.pk for row in data.get("vendor_coverages") or []],
            "site_ids": [row.pk for row in data.get("sites") or []],
        }

    def form_field_of(self, service_field: str | None) -> str | None:
        if service_field and service_field.startswith("values."):
            name = VALUE_PREFIX + service_field.removeprefix("values.")
            return name if name in self.fields else None
        return service_field if service_field in self.fields else None


class SecretTextarea(forms.Textarea):
    """A textarea that never renders a value back (secure notes are write-only, like a password)."""

    def get_context(self, name: str, value: Any, attrs: Any) -> dict[str, Any]:
        return super().get_context(name, None, attrs)


SECRET_FIELDS = ("password", "notes", "totp_seed")


class CredentialForm(forms.Form):
    """Name, username and URL in clear; password, secure notes and TOTP seed write-only. A blank
    secret keeps the stored one; "remove" clears it."""

    name = forms.CharField(max_length=120)
    username = forms.CharField(max_length=200, required=False)
    url = forms.CharField(
        label="Sign-in URL",
        max_length=500,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    password = forms.CharField(
        required=False,
        strip=False,
        max_length=10_000,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=False),
    )
    notes = forms.CharField(
        label="Secure notes",
        required=False,
        strip=False,
        max_length=10_000,
        widget=SecretTextarea(attrs={"rows": 3, "autocomplete": "off"}),
    )
    totp_seed = forms.CharField(
        label="TOTP seed",
        required=False,
        max_length=2_000,
        help_text="The base32 seed or the otpauth:// link behind the QR code; the page then shows the "
        "current one-time code, never the seed.",
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}, render_value=False),
    )
    clear_password = forms.BooleanField(label="Remove the stored password", required=False)
    clear_notes = forms.BooleanField(label="Remove the stored notes", required=False)
    clear_totp_seed = forms.BooleanField(label="Remove the stored TOTP seed", required=False)

    def __init__(self, data: Any = None, *, credential: Credential | None = None) -> None:
        initial = {}
        if credential is not None:
            initial = {"name": credential.name, "username": credential.username, "url": credential.url}
        super().__init__(data, initial=initial)
        self.stored = {
            field: credential is not None and getattr(credential, field) is not None for field in SECRET_FIELDS
        }
        for name in SECRET_FIELDS:
            if self.stored[name]:
                extra = self.fields[name].help_text if name == "totp_seed" else ""
                self.fields[name].help_text = f"Stored. Leave blank to keep it. {extra}".strip()
            else:
                del self.fields[f"clear_{name}"]
        for form_field in self.fields.values():
            _css(form_field.widget)

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        arguments: dict[str, Any] = {"name": data["name"], "username": data["username"], "url": data["url"]}
        for field in SECRET_FIELDS:
            if data.get(f"clear_{field}"):
                arguments[field] = ""  # the service clears it
            else:
                arguments[field] = data.get(field) or None  # None keeps the stored value
        return arguments


class ChecklistForm(forms.Form):
    """The templates an agreement's R27 checklist requires."""

    templates = forms.ModelMultipleChoiceField(
        queryset=DocumentTemplate.objects.filter(is_active=True).order_by("position", "name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class ImportForm(forms.Form):
    upload = forms.FileField(
        label="Markdown file or zip",
        help_text="One .md file, or a .zip of .md files (an export of this knowledge base works).",
        widget=forms.FileInput(attrs={"accept": ".md,.markdown,.zip", "class": "form-control"}),
    )


def add_problems(form: forms.Form, error: ApplicationError) -> None:
    """Each problem of a refused write beside its field (or above the form)."""
    for problem in error.problems:
        if isinstance(form, DocumentForm):
            name = form.form_field_of(problem.field)
        else:
            name = problem.field if problem.field in form.fields else None
        form.add_error(name, problem.message)


def mark_invalid(form: forms.Form) -> forms.Form:
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
    return form
