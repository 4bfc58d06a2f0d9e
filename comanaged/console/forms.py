"""Console forms: Bootstrap-styled, validated by the same domain checks as every write."""

from __future__ import annotations

from typing import Any

from django import forms

from comanaged.agreements.choices import DeviceClass
from comanaged.agreements.models import Agreement, VendorCoverage
from comanaged.core.admin import DomainProblemsForm
from comanaged.tenancy.models import Client, Person, Site, StaffProfile


class StyledForm(DomainProblemsForm):
    """Adds Bootstrap classes to every widget; a saved row's client is fixed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and "client" in self.fields and hasattr(self.instance, "client_id"):
            self.fields["client"].disabled = True  # links (absences, agreements) must not cross clients
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class ClientForm(StyledForm):
    class Meta:
        model = Client
        fields = ["name", "code", "time_zone", "holiday_country", "holiday_subdivision", "is_active", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class PersonForm(StyledForm):
    class Meta:
        model = Person
        fields = ["client", "full_name", "email", "phone", "mobile", "job_title", "kind", "level", "site", "is_active"]


class AgreementForm(StyledForm):
    covered_device_classes = forms.MultipleChoiceField(
        choices=DeviceClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Device classes the agreement covers (R22).",
    )

    class Meta:
        model = Agreement
        fields = [
            "client",
            "plan",
            "vertical",
            "starts_on",
            "ends_on",
            "signatory",
            "included_pocs",
            "extra_poc_monthly_fee",
            "end_user_monthly_fee",
            "vip_monthly_fee",
            "partial_monthly_fee",
            "email_only_monthly_fee",
            "backup_service",
            "backup_monthly_price",
            "strategic_advisor",
            "technology_alignment_engineer",
            "covered_device_classes",
            "supported_offices",
            "provisioning_standard_remote",
            "provisioning_standard_on_site",
            "provisioning_non_standard_remote",
            "provisioning_non_standard_on_site",
            "one_absent_poc_opens_coverage",
            "notes",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "ends_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "supported_offices": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clients = Client.objects.for_user(user)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        client_id = self.instance.client_id if self.instance.pk else None
        sites = Site.objects.for_user(user)
        people = Person.objects.for_user(user)
        if client_id:
            sites, people = sites.filter(client_id=client_id), people.filter(client_id=client_id)
        self.fields["supported_offices"].queryset = sites.select_related("client")  # type: ignore[attr-defined]
        self.fields["signatory"].queryset = people  # type: ignore[attr-defined]
        staff = StaffProfile.objects.select_related("user")
        self.fields["strategic_advisor"].queryset = staff.filter(roles="strategic_advisor")  # type: ignore[attr-defined]
        self.fields["technology_alignment_engineer"].queryset = staff.filter(  # type: ignore[attr-defined]
            roles="technology_alignment_engineer"
        )


class VendorCoverageForm(StyledForm):
    class Meta:
        model = VendorCoverage
        fields = [
            "client",
            "vendor",
            "covers",
            "kind",
            "contract_number",
            "support_phone",
            "support_url",
            "starts_on",
            "expires_on",
            "provider_is_authorized_user",
            "authorized_contact",
            "support_pin",
            "notes",
        ]
        widgets = {
            "starts_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class TerminateForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"class": "form-control"}))
    ends_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=100, widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "e.g. PSA sync"})
    )
    scope = forms.ChoiceField(
        choices=[("read", "Read only"), ("write", "Read and write")],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    expires_in_days = forms.IntegerField(
        min_value=1, max_value=366, initial=90, widget=forms.NumberInput(attrs={"class": "form-control"})
    )


def scope_choices(form: forms.ModelForm, user: Any) -> None:
    """Offer only rows the user may see in every foreign-key choice."""
    for field in form.fields.values():
        queryset = getattr(field, "queryset", None)
        if queryset is not None and hasattr(queryset, "for_user"):
            field.queryset = queryset.for_user(user)  # type: ignore[attr-defined]
