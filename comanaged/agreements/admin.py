"""Admin pages of agreements: the contract, its applications, vendor coverage; activation and
termination go through their services, with every refusal shown."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from comanaged.agreements import services
from comanaged.agreements.choices import AgreementStatus, DeviceClass
from comanaged.agreements.models import Agreement, ListedApplication, SupportedOffice, VendorCoverage
from comanaged.agreements.policy import activation_problems
from comanaged.agreements.selectors import activation_facts
from comanaged.core.admin import DomainProblemsForm
from comanaged.core.errors import ApplicationError, Problem
from comanaged.tenancy.admin import SiteAdmin
from comanaged.tenancy.admin_base import ScopedAdmin, ScopedTabularInline
from comanaged.tenancy.models import Site
from comanaged.tenancy.permissions import Area, can_edit


class ListedApplicationInline(ScopedTabularInline):
    model = ListedApplication
    area = Area.AGREEMENTS
    fields = ("name", "vendor", "version", "is_custom", "vendor_coverage")

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        if obj is not None:  # only the agreement's own client's coverage records
            field = formset.form.base_fields["vendor_coverage"]
            field.queryset = field.queryset.filter(client_id=obj.client_id)
        return formset

    def problems(self, instance: ListedApplication, cleaned_data: dict[str, Any]) -> list[Problem]:
        if instance.agreement_id:
            instance.client_id = instance.agreement.client_id
        return services.listed_application_problems(instance)

    def save_with(self, instance: ListedApplication, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.listed_application_save(application=instance, actor=actor)


class AgreementForm(DomainProblemsForm):
    # The agreement's supported offices (R26); a form field of its own because the relation has
    # an explicit through model (SupportedOffice), which the admin cannot edit directly.
    offices = forms.ModelMultipleChoiceField(
        queryset=Site.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Offices where on-site support is given (R26).",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["offices"].initial = list(self.instance.supported_offices.all())

    covered_device_classes = forms.MultipleChoiceField(
        choices=DeviceClass.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Device classes the agreement covers (R22).",
    )

    class Meta:
        model = Agreement
        fields = "__all__"


@admin.register(Agreement)
class AgreementAdmin(ScopedAdmin):
    area = Area.AGREEMENTS
    form = AgreementForm
    change_form_template = "admin/agreements/agreement/change_form.html"
    list_display = ("reference", "client", "plan", "vertical", "status", "backup_service", "starts_on")
    list_filter = ("status", "plan", "vertical", "backup_service")
    search_fields = ("reference", "client__name")
    inlines = (ListedApplicationInline,)
    readonly_fields = (
        "reference",
        "status",
        "activation_check",
        "activated_at",
        "terminated_at",
        "termination_reason",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "client",
                    "status",
                    "activation_check",
                    "plan",
                    "vertical",
                    "starts_on",
                    "ends_on",
                    "signatory",
                )
            },
        ),
        (
            "Seats and monthly fees (R2, R6)",
            {
                "fields": (
                    "included_pocs",
                    "extra_poc_monthly_fee",
                    "end_user_monthly_fee",
                    "vip_monthly_fee",
                    "partial_monthly_fee",
                    "email_only_monthly_fee",
                )
            },
        ),
        ("Required backup (R3)", {"fields": ("backup_service", "backup_monthly_price")}),
        ("Designated advisors (R5)", {"fields": ("strategic_advisor", "technology_alignment_engineer")}),
        ("Scope (R22, R26)", {"fields": ("covered_device_classes", "offices")}),
        (
            "Provisioning rate card (R23)",
            {
                "fields": (
                    "provisioning_standard_remote",
                    "provisioning_standard_on_site",
                    "provisioning_non_standard_remote",
                    "provisioning_non_standard_on_site",
                )
            },
        ),
        ("Co-managed+ coverage (R11)", {"fields": ("one_absent_poc_opens_coverage",)}),
        ("Life cycle", {"fields": ("activated_at", "terminated_at", "termination_reason", "notes")}),
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("client", "vertical")

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        fields = form.base_fields
        # Offer only what fits: the client's own sites, staff holding the designated roles (R5, R26).
        if "offices" in fields:
            fields["offices"].queryset = Site.objects.for_user(request.user).select_related("client")
        if obj is not None:
            for name in ("offices", "signatory"):
                if name in fields:
                    fields[name].queryset = fields[name].queryset.filter(client_id=obj.client_id)
        for name, role in (
            ("strategic_advisor", "strategic_advisor"),
            ("technology_alignment_engineer", "technology_alignment_engineer"),
        ):
            if name in fields:
                fields[name].queryset = fields[name].queryset.filter(roles=role).select_related("user")
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))  # includes "client" once saved
        if obj is not None and obj.status == AgreementStatus.TERMINATED:
            return [f.name for f in Agreement._meta.fields] + ["activation_check"]
        return fields

    @admin.display(description="Activation check")
    def activation_check(self, obj: Agreement | None) -> str:
        if obj is None or obj.pk is None:
            return "Save the draft first."
        if obj.status != AgreementStatus.DRAFT:
            return f"{obj.get_status_display()}."
        problems = activation_problems(activation_facts(obj))
        if not problems:
            return format_html('<strong style="color:#1a7f37">{}</strong>', "Ready to activate.")
        items = format_html_join("", "<li>{}</li>", ((p.message,) for p in problems))
        return format_html(
            '<strong style="color:#b42318">Cannot be activated yet:</strong><ul class="problems">{}</ul>', items
        )

    def problems(self, instance: Agreement, cleaned_data: dict[str, Any]) -> list[Problem]:
        return services.agreement_problems(instance, cleaned_data.get("offices"))

    def save_with(self, instance: Agreement, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.agreement_save(agreement=instance, actor=actor, supported_offices=cleaned_data.get("offices"))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # agreements are terminated, never deleted

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.status == AgreementStatus.TERMINATED:
            return False
        return super().has_change_permission(request, obj)

    # --- activate / terminate -----------------------------------------------------------------

    def get_urls(self) -> list[Any]:
        own = [
            path(
                "<int:object_id>/activate/",
                self.admin_site.admin_view(self.activate_view),
                name="agreements_agreement_activate",
            ),
            path(
                "<int:object_id>/terminate/",
                self.admin_site.admin_view(self.terminate_view),
                name="agreements_agreement_terminate",
            ),
        ]
        return own + super().get_urls()

    def _lifecycle_object(self, request: HttpRequest, object_id: int) -> Agreement:
        agreement = self.get_object(request, str(object_id))
        if not can_edit(request.user, Area.AGREEMENT_LIFECYCLE):
            raise PermissionDenied
        return agreement

    def _change_url(self, agreement: Agreement) -> str:
        return reverse("admin:agreements_agreement_change", args=[agreement.pk])

    def activate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        agreement = self._lifecycle_object(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(agreement))
        try:
            services.agreement_activate(agreement=agreement, actor=request.user)
        except ApplicationError as error:
            for problem in error.problems:
                self.message_user(request, f"Not activated: {problem.message}", messages.ERROR)
        else:
            self.message_user(request, f"{agreement.reference} is active.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(agreement))

    def terminate_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        agreement = self._lifecycle_object(request, object_id)
        form = TerminateForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.agreement_terminate(
                    agreement=agreement,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    ends_on=form.cleaned_data["ends_on"],
                )
            except ApplicationError as error:
                for problem in error.problems:
                    form.add_error(problem.field if problem.field in form.fields else None, problem.message)
            else:
                self.message_user(request, f"{agreement.reference} is terminated.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(agreement))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": agreement,
            "form": form,
            "title": f"Terminate {agreement.reference}",
        }
        return render(request, "admin/agreements/agreement/terminate.html", context)

    def render_change_form(self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        context["can_lifecycle"] = can_edit(request.user, Area.AGREEMENT_LIFECYCLE)
        return super().render_change_form(request, context, *args, **kwargs)


class TerminateForm(forms.Form):
    reason = forms.CharField(max_length=300, widget=forms.Textarea(attrs={"rows": 3}))
    ends_on = forms.DateField(
        required=False, help_text="Last day of service; today if empty.", widget=forms.DateInput(attrs={"type": "date"})
    )


@admin.register(VendorCoverage)
class VendorCoverageAdmin(ScopedAdmin):
    area = Area.VENDOR_COVERAGE
    list_display = ("vendor", "covers", "client", "kind", "expires_on", "provider_is_authorized_user")
    list_filter = ("kind", "provider_is_authorized_user")
    search_fields = ("vendor", "covers", "contract_number", "client__name")
    exclude = ("recorded_by",)

    def save_with(self, instance: VendorCoverage, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.vendor_coverage_save(coverage=instance, actor=actor)


def supported_office_expression() -> Exists:
    return Exists(SupportedOffice.objects.filter(site_id=OuterRef("pk"), agreement__status=AgreementStatus.ACTIVE))


class SupportedOfficeFilter(admin.SimpleListFilter):
    title = "supported office (R26)"
    parameter_name = "supported"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request: HttpRequest, queryset: Any) -> Any:
        if self.value() in {"yes", "no"}:
            return queryset.filter(is_supported_office=self.value() == "yes")
        return queryset


class SiteWithSupportAdmin(SiteAdmin):
    """The sites list, with whether the active agreement lists each as a supported office (R26).

    The agreement's list is the one home of that fact; this column only shows it.
    """

    def get_list_display(self, request: HttpRequest) -> Any:
        return (*super().get_list_display(request), "supported_office")

    def get_list_filter(self, request: HttpRequest) -> Any:
        return (*super().get_list_filter(request), SupportedOfficeFilter)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).annotate(is_supported_office=supported_office_expression())

    @admin.display(description="Supported office (R26)", boolean=True, ordering="is_supported_office")
    def supported_office(self, site: Site) -> bool:
        return bool(getattr(site, "is_supported_office", False))


admin.site.unregister(Site)
admin.site.register(Site, SiteWithSupportAdmin)
