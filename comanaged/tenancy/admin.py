"""Admin pages of the tenancy app: the provider, staff, clients, sites, people, absences."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms.formsets import DELETION_FIELD_NAME
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest

from comanaged.core import audit
from comanaged.core.admin import AuditEntryAdminBase, DomainProblemsForm
from comanaged.core.errors import Problem
from comanaged.core.models import AuditEntry
from comanaged.core.services import raise_problems
from comanaged.tenancy import services
from comanaged.tenancy.admin_base import ScopedAdmin, ScopedTabularInline
from comanaged.tenancy.calendar import WeekRow, week_overlaps
from comanaged.tenancy.models import (
    Absence,
    BusinessHours,
    Client,
    Closure,
    Person,
    ProviderSettings,
    Site,
    Skill,
    StaffProfile,
    User,
    Vertical,
)
from comanaged.tenancy.permissions import Area, can_view
from comanaged.tenancy.scoping import client_scope


class UserCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "is_active")


# Permissions come from staff roles (tenancy/permissions.py), not Django's groups.
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(ScopedAdmin, auth_admin.UserAdmin):
    area = Area.STAFF
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("full_name",)
    list_display = ("email", "full_name", "is_active", "is_staff", "last_login")
    list_filter = ("is_active", "is_staff")
    search_fields = ("email", "full_name")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "full_name", "password")}),
        ("Status", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),)
    readonly_fields = ("last_login", "date_joined")

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            audit.record(
                actor=request.user,
                action="password_set",
                instance=self.get_object(request, id),
                changes={"password": [audit.REDACTED, audit.REDACTED]},
            )
        return response

    def get_queryset(self, request: HttpRequest) -> Any:
        """Staff users, and the sign-ins of people of the clients in scope."""
        queryset = User.objects.all()
        scope = client_scope(request.user)
        if scope.all_clients:
            return queryset
        return queryset.filter(Q(staff_profile__isnull=False) | Q(person__client_id__in=scope.client_ids))


@admin.register(ProviderSettings)
class ProviderSettingsAdmin(ScopedAdmin):
    area = Area.PROVIDER
    list_display = ("name", "currency", "time_zone", "restrict_technicians_to_assigned_clients")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return super().has_add_permission(request) and not ProviderSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Vertical)
class VerticalAdmin(ScopedAdmin):
    area = Area.PROVIDER
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


@admin.register(Skill)
class SkillAdmin(ScopedAdmin):
    area = Area.PROVIDER
    search_fields = ("name",)


@admin.register(StaffProfile)
class StaffProfileAdmin(ScopedAdmin):
    area = Area.STAFF
    list_display = ("user", "job_title", "role_list", "tier")
    list_filter = ("roles", "tier", "verticals")
    search_fields = ("user__full_name", "user__email", "job_title")
    filter_horizontal = ("skills", "verticals")
    autocomplete_fields = ("user",)

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("user").prefetch_related("roles")

    @admin.display(description="Roles")
    def role_list(self, obj: StaffProfile) -> str:
        return ", ".join(str(r) for r in obj.roles.all())

    def problems(self, instance: StaffProfile, cleaned_data: dict[str, Any]) -> list[Problem]:
        roles = [r.code for r in cleaned_data.get("roles", [])]
        return services.staff_profile_problems(instance, roles)

    def save_with(self, instance: StaffProfile, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.staff_profile_save(
            profile=instance,
            actor=actor,
            roles=[r.code for r in cleaned_data.get("roles", [])],
            skills=cleaned_data.get("skills", []),
            verticals=cleaned_data.get("verticals", []),
        )


class BusinessHoursForm(DomainProblemsForm):
    """One row of the week: its overlaps are checked by the formset, against the week as submitted
    (a row may be about to move or go in the same save), not against the rows stored now."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instance.week_checked_by_form = True


class BusinessHoursFormSet(BaseInlineFormSet):
    """The client's week as submitted: no two intervals of one weekday may overlap. Rows not on
    the form (none today: the inline lists them all) count as stored."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        rows: list[WeekRow] = []
        on_form = set()
        for form in self.forms:
            if form.instance.pk is not None:
                on_form.add(form.instance.pk)
            data = getattr(form, "cleaned_data", None)
            if not data or data.get(DELETION_FIELD_NAME):
                continue
            if data.get("weekday") is not None and data.get("opens") and data.get("closes") is not None:
                rows.append((int(data["weekday"]), data["opens"], data["closes"]))
        if self.instance.pk is not None:
            stored = BusinessHours.objects.filter(client=self.instance).exclude(pk__in=on_form)
            rows.extend(stored.values_list("weekday", "opens", "closes"))
        clashes = week_overlaps(rows)
        if clashes:
            raise ValidationError(
                [
                    ValidationError(
                        "%(first)s overlaps %(second)s: intervals of one day must not overlap.",
                        code="hours_overlap",
                        params={"first": services.week_row_label(a), "second": services.week_row_label(b)},
                    )
                    for a, b in clashes
                ]
            )


class BusinessHoursInline(ScopedTabularInline):
    model = BusinessHours
    area = Area.CLIENTS
    form = BusinessHoursForm
    formset = BusinessHoursFormSet

    def save_with(self, instance: BusinessHours, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.business_hours_save(hours=instance, actor=actor)


class ClosureInline(ScopedTabularInline):
    model = Closure
    area = Area.CLIENTS


class SiteInline(ScopedTabularInline):
    model = Site
    area = Area.CLIENTS
    fields = ("name", "city", "region", "country", "is_office")
    show_change_link = True


@admin.register(Client)
class ClientAdmin(ScopedAdmin):
    area = Area.CLIENTS
    list_display = ("name", "code", "time_zone", "holiday_country", "holiday_subdivision", "is_active")
    list_filter = ("is_active", "holiday_country")
    search_fields = ("name", "code")
    prepopulated_fields = {"code": ("name",)}
    filter_horizontal = ("team",)
    inlines = (BusinessHoursInline, ClosureInline, SiteInline)

    def save_with(self, instance: Client, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        # Hours come from the inline rows; defaults are added after them if none were given.
        return services.client_save(client=instance, actor=actor, team=cleaned_data.get("team"), default_hours=False)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not change and not form.instance.business_hours.exists():
            services.client_add_default_hours(client=form.instance)
        # The rows were checked as one week; check the week as stored too (another edit may have
        # landed meanwhile). A problem rolls the whole save back (AuditedModelAdmin says why).
        raise_problems(services.business_hours_week_problems(form.instance))


@admin.register(Site)
class SiteAdmin(ScopedAdmin):
    area = Area.CLIENTS
    list_display = ("name", "client", "city", "region", "is_office")
    list_filter = ("is_office",)
    search_fields = ("name", "city", "client__name")


class AbsenceWrites:
    """Absences are checked and saved by their service, wherever they are edited."""

    def problems(self, instance: Absence, cleaned_data: dict[str, Any]) -> list[Problem]:
        return services.absence_problems(instance)

    def save_with(self, instance: Absence, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.absence_save(absence=instance, actor=actor)


class AbsenceInline(AbsenceWrites, ScopedTabularInline):
    model = Absence
    fk_name = "person"
    area = Area.PEOPLE
    fields = ("kind", "starts_at", "ends_at", "note")


@admin.register(Person)
class PersonAdmin(ScopedAdmin):
    area = Area.PEOPLE
    list_display = ("full_name", "client", "level", "kind", "email", "is_active")
    list_filter = ("level", "kind", "is_active")  # no client filter: it would list every client
    search_fields = ("full_name", "email", "client__name")
    autocomplete_fields = ("user",)
    inlines = (AbsenceInline,)

    def problems(self, instance: Person, cleaned_data: dict[str, Any]) -> list[Problem]:
        return services.person_problems(instance)

    def save_with(self, instance: Person, actor: Any, cleaned_data: dict[str, Any]) -> Any:
        return services.person_save(person=instance, actor=actor)


@admin.register(Absence)
class AbsenceAdmin(AbsenceWrites, ScopedAdmin):
    area = Area.PEOPLE
    list_display = ("person", "client", "kind", "starts_at", "ends_at")
    list_filter = ("kind",)
    search_fields = ("person__full_name", "client__name")
    exclude = ("client", "recorded_by")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "person":  # absences are recorded for POCs (R11)
            kwargs["queryset"] = Person.objects.for_user(request.user).filter(level="poc").select_related("client")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AuditEntry)
class AuditEntryAdmin(AuditEntryAdminBase):
    """The audit log, scoped: client entries by client scope; configuration entries to global staff."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return can_view(request.user, Area.AUDIT)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can_view(request.user, Area.AUDIT)

    def get_queryset(self, request: HttpRequest) -> Any:
        queryset = super().get_queryset(request)
        scope = client_scope(request.user)
        if scope.all_clients:
            return queryset
        return queryset.filter(client_id__in=scope.client_ids)

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("No such entry.")
        return obj
