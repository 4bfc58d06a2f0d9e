"""Portal ticket forms: the POC's full form (R14 fields, device and application facts) and the
end-user's short request form (Co-managed+)."""

from __future__ import annotations

from typing import Any

from django import forms

from comanaged.agreements.choices import Priority
from comanaged.agreements.models import ListedApplication
from comanaged.agreements.selectors import active_agreement
from comanaged.tenancy.models import Person, Site
from comanaged.tickets.fields import EDITABLE_FIELDS, END_USER_FIELDS
from comanaged.tickets.models import Ticket, TicketCategory

TEXTAREAS = ("description", "tried", "error_messages", "conditions")
LABELS = {
    "title": "Summary",
    "type": "Type",
    "impact": "Who is affected",
    "urgency": "How bad is it",
    "description": "Nature of the problem",
    "tried": "What has been tried",
    "error_messages": "Error messages",
    "conditions": "When does it occur",
    "affected_person": "Affected person",
    "application": "Listed application",
    "application_name": "Other application",
    "on_site_requested": "Needs someone on site",
    "device_name": "Device",
    "device_class": "Device type",
    "device_ownership": "Owned by",
    "device_beyond_vendor_support": "Beyond vendor support / end of life",
}
HELP = {
    "type": "Incident: something is broken or degraded. Service request: something new or changed.",
    "error_messages": "Copy them exactly, or write “none”.",
    "application_name": "Applications not listed in your agreement are out of scope (R19).",
}


class CategoryChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj)


class TicketForm(forms.ModelForm):
    """The fields a client fills in; links are limited to the client's own rows."""

    category = CategoryChoice(
        queryset=TicketCategory.objects.filter(is_active=True, parent__isnull=False).select_related("parent"),
        required=False,
    )
    priority = forms.ChoiceField(choices=[("", "Not set"), *Priority.choices], required=False, widget=forms.RadioSelect)

    class Meta:
        model = Ticket
        fields = EDITABLE_FIELDS

    def __init__(self, *args: Any, person: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        client = person.client
        keep = EDITABLE_FIELDS if person.is_poc else END_USER_FIELDS
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        if "affected_person" in self.fields:
            field = self.fields["affected_person"]
            field.queryset = Person.objects.filter(client=client, is_active=True).order_by("full_name")  # type: ignore[attr-defined]
            field.help_text = "Decides VIP handling; leave empty when it is the requester."
        if "site" in self.fields:
            self.fields["site"].queryset = Site.objects.filter(client=client).order_by("name")  # type: ignore[attr-defined]
        if "application" in self.fields:
            agreement = active_agreement(client)
            self.fields["application"].queryset = (  # type: ignore[attr-defined]
                ListedApplication.objects.filter(agreement=agreement).order_by("name")
                if agreement
                else ListedApplication.objects.none()
            )
        for name, field in self.fields.items():
            field.label = LABELS.get(name, field.label)
            field.help_text = HELP.get(name, field.help_text)
            widget = field.widget
            if isinstance(widget, forms.RadioSelect):
                continue
            if name in TEXTAREAS:
                field.widget = forms.Textarea(attrs={"rows": 2})
                widget = field.widget
            if not field.required and isinstance(field, forms.ModelChoiceField | forms.TypedChoiceField):
                field.empty_label = "Not specified"  # type: ignore[union-attr]
                if isinstance(field, forms.TypedChoiceField):
                    named = [(value, label) for value, label in field.choices if value != ""]  # type: ignore[union-attr, misc]
                    field.choices = [("", "Not specified"), *named]
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"
        if "title" in self.fields:
            self.fields["title"].widget.attrs["autofocus"] = True

    def mark_invalid(self) -> TicketForm:
        """Outline the fields with errors (Bootstrap's is-invalid), after every check ran."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
        return self


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=20_000, required=False, widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"})
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=2_000, widget=forms.TextInput(attrs={"class": "form-control"}))


class ResolveForm(forms.Form):
    resolution = forms.CharField(max_length=20_000, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}))
