"""Forms of the provider's technician desk: the queue's bulk actions and saved views, the
action forms of a ticket, and logging a ticket taken by phone or e-mail.

They only parse and bound input; every rule (R12 vertical reasons, R14 fields, R20/R28 vendor
support…) is checked by the ticket services, whose problems the views put beside the fields."""

from __future__ import annotations

from typing import Any

from django import forms

from comanaged.agreements.models import ListedApplication, VendorCoverage
from comanaged.core.errors import ApplicationError, Problem
from comanaged.tenancy.access import parse_id
from comanaged.tenancy.choices import StaffRoleCode
from comanaged.tenancy.models import Client, Person, Site, StaffProfile
from comanaged.tickets.choices import Source, Status, Tier, Verdict
from comanaged.tickets.fields import EDITABLE_FIELDS
from comanaged.tickets.models import Ticket, TicketCategory
from comanaged.tickets.services import ESCALATION_FIELDS, escalation_problems

SMALL = {"class": "form-control form-control-sm"}
SMALL_SELECT = {"class": "form-select form-select-sm"}


def technicians() -> Any:
    """Everyone who can hold a ticket: staff with the technician role (with tier and verticals)."""
    return (
        StaffProfile.objects.filter(roles=StaffRoleCode.TECHNICIAN, user__is_active=True)
        .select_related("user")
        .prefetch_related("verticals")
        .order_by("user__full_name")
        .distinct()
    )


def technician_label(staff: StaffProfile, vertical_id: int | None = None) -> str:
    """'Dana Lee · L2 · Healthcare' — and, on a vertical ticket, whether they fit it (R12)."""
    parts = [staff.user.full_name or staff.user.email]
    if staff.tier:
        parts.append(f"L{staff.tier}")
    verticals = list(staff.verticals.all())
    if verticals:
        parts.append(", ".join(v.name for v in verticals))
    label = " · ".join(parts)
    if vertical_id is not None and all(v.pk != vertical_id for v in verticals):
        label += " — not vertical-experienced (reason needed, R12)"
    return label


class TechnicianField(forms.ModelChoiceField):
    def __init__(self, *args: Any, vertical_id: int | None = None, **kwargs: Any) -> None:
        self.vertical_id = vertical_id
        kwargs.setdefault("widget", forms.Select(attrs=SMALL_SELECT))
        super().__init__(technicians(), *args, **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        return technician_label(obj, self.vertical_id)


def ticket_number(value: str | int | None) -> int | None:
    """'#123', ' 123 ' → 123; anything else → None."""
    return parse_id(str(value or "").strip().lstrip("#").strip())


class TicketNumberField(forms.CharField):
    """A ticket number as people type it ('#1042' or '1042')."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("widget", forms.TextInput(attrs={**SMALL, "placeholder": "#number", "inputmode": "numeric"}))
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> int | None:
        text = super().clean(value)
        if not text:
            return None
        number = ticket_number(text)
        if number is None:
            raise forms.ValidationError("Give a ticket number, such as #1042.", code="invalid")
        return number


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleaned to a list (maybe empty)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs=SMALL))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def add_problems(form: forms.BaseForm, error: ApplicationError) -> None:
    """A service's refusal, each problem beside its field (or above the form)."""
    for problem in error.problems:
        add_problem(form, problem)


def add_problem(form: forms.BaseForm, problem: Problem) -> None:
    field = problem.field if problem.field in form.fields else None
    form.add_error(field, forms.ValidationError(problem.message, code=problem.code))


# --- the ticket's actions ----------------------------------------------------------------------


class OptionalReasonForm(forms.Form):
    """Claim, start work: a reason is asked only when the technician lacks the vertical (R12)."""

    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={**SMALL, "placeholder": "Why you take it without the vertical (R12)"}),
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(queryset=StaffProfile.objects.none(), required=False)
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.TextInput(
            attrs={**SMALL, "placeholder": "Why this technician (R12, when not vertical-experienced)"}
        ),
    )

    def __init__(self, *args: Any, vertical_id: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = TechnicianField(
            vertical_id=vertical_id, required=False, empty_label="— Back to the queue (unassigned) —"
        )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s.value, s.label) for s in (Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, Status.WAITING_ON_VENDOR)],
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={**SMALL, "placeholder": "What you are waiting for (the client sees it)"}),
    )


class RaiseTierForm(forms.Form):
    tier = forms.ChoiceField(
        choices=[(Tier.L2.value, "L2 engineers"), (Tier.L3.value, "L3 engineers")],
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    reason = forms.CharField(
        max_length=1000, widget=forms.TextInput(attrs={**SMALL, "placeholder": "Why it needs a higher tier"})
    )


class RequiredTierForm(forms.Form):
    """Triage (R17): the tier whose start counts as the response; the service checks the role."""

    tier = forms.ChoiceField(
        choices=[(t.value, f"{t.label} or higher") for t in (Tier.L1, Tier.L2, Tier.L3)],
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    reason = forms.CharField(
        max_length=1000,
        widget=forms.TextInput(attrs={**SMALL, "placeholder": "Why this tier (staff only)"}),
    )


class VendorEscalationForm(forms.Form):
    coverage = forms.ModelChoiceField(
        queryset=VendorCoverage.objects.none(),
        required=False,
        empty_label="The best current coverage",
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    case_number = forms.CharField(
        max_length=80, widget=forms.TextInput(attrs={**SMALL, "placeholder": "Vendor's case number"})
    )
    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.TextInput(attrs={**SMALL, "placeholder": "Internal note (optional)"}),
    )

    def __init__(self, *args: Any, client_id: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["coverage"]
        field.queryset = VendorCoverage.objects.filter(client_id=client_id)  # type: ignore[attr-defined]
        field.label_from_instance = _coverage_label  # type: ignore[attr-defined]


def _coverage_label(coverage: VendorCoverage) -> str:
    state = "provider authorized" if coverage.provider_is_authorized_user else "provider NOT authorized"
    expiry = f"until {coverage.expires_on:%Y-%m-%d}" if coverage.expires_on else "no expiry"
    return f"{coverage.vendor}: {coverage.covers} ({expiry}, {state})"


class VerdictForm(forms.Form):
    verdict = forms.ChoiceField(
        choices=[(v.value, v.label) for v in Verdict if v != Verdict.ROUTE_TO_POC],
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    reason = forms.CharField(
        max_length=1000,
        widget=forms.TextInput(attrs={**SMALL, "placeholder": "Reason (the client sees it)"}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3, "placeholder": "Write a note…"}),
    )
    visibility = forms.ChoiceField(
        choices=[("internal", "Internal — staff only"), ("public", "Public — the client sees it")],
        initial="internal",
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    uploads = MultipleFileField(label="Files")


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(
            attrs={"class": "form-control form-control-sm", "rows": 2, "placeholder": "How it was resolved"}
        ),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        max_length=1000, widget=forms.TextInput(attrs={**SMALL, "placeholder": "Why it is reopened"})
    )


class MergeForm(forms.Form):
    into = TicketNumberField(label="Merge into")


class ParentForm(forms.Form):
    parent = TicketNumberField(label="Parent incident", required=False)


# --- the queue ---------------------------------------------------------------------------------

BULK_ACTIONS = (
    ("claim", "Claim"),
    ("assign", "Assign to…"),
    ("waiting_on_client", "Set waiting on client"),
    ("waiting_on_vendor", "Set waiting on vendor"),
    ("resolve", "Resolve"),
)
BULK_LIMIT = 200


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=BULK_ACTIONS, widget=forms.Select(attrs=SMALL_SELECT))
    assignee = forms.ModelChoiceField(queryset=StaffProfile.objects.none(), required=False)
    reason = forms.CharField(required=False, max_length=500)
    resolution = forms.CharField(required=False, max_length=5000)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = TechnicianField(required=False, empty_label="Technician…")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        action = data.get("action")
        if action == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose the technician to assign.")
        if action == "resolve" and not (data.get("resolution") or "").strip():
            self.add_error("resolution", "Say how the tickets were resolved.")
        return data


def selected_ids(values: list[str]) -> list[int] | None:
    """The ticket ids ticked in the queue, or None when any of them is not an id."""
    ids = []
    for value in values[: BULK_LIMIT + 1]:
        parsed = parse_id(value)
        if parsed is None:
            return None
        ids.append(parsed)
    return list(dict.fromkeys(ids))


class SavedViewForm(forms.Form):
    name = forms.CharField(max_length=60, widget=forms.TextInput(attrs={**SMALL, "placeholder": "Name this view"}))
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)


# --- logging a ticket by phone -----------------------------------------------------------------

STAFF_SOURCES = ((Source.PHONE.value, Source.PHONE.label), (Source.EMAIL.value, Source.EMAIL.label))


ESCALATION_TEXTS = [name for name in ESCALATION_FIELDS if name not in ("category", "priority")]


class PhoneTicketForm(forms.ModelForm):
    """A ticket the desk takes by phone or e-mail on behalf of a client's person."""

    source = forms.ChoiceField(choices=STAFF_SOURCES, initial=Source.PHONE)
    escalate = forms.BooleanField(
        required=False,
        initial=True,
        label="Escalate to the desk now",
        help_text="Needs what R14 asks for; the contract may route an end-user's request to the POC (R10, R11).",
    )

    class Meta:
        model = Ticket
        fields = ["client", "requester", "source", *EDITABLE_FIELDS]
        widgets = {name: forms.Textarea(attrs={"rows": 2}) for name in ESCALATION_TEXTS}

    def __init__(self, *args: Any, user: Any, client_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clients = Client.objects.for_user(user).filter(is_active=True)
        self.fields["client"].queryset = clients  # type: ignore[attr-defined]
        raw = str((self.data.get("client") if self.is_bound else client_id) or "")
        client_pk = parse_id(raw)
        client = clients.filter(pk=client_pk).first() if client_pk else None
        self.client = client
        people = (
            Person.objects.for_user(user).filter(client=client, is_active=True) if client else Person.objects.none()
        )
        self.fields["requester"].queryset = people  # type: ignore[attr-defined]
        self.fields["requester"].label_from_instance = _person_label  # type: ignore[attr-defined]
        self.fields["affected_person"].queryset = people  # type: ignore[attr-defined]
        self.fields["affected_person"].label_from_instance = _person_label  # type: ignore[attr-defined]
        self.fields["affected_person"].empty_label = "— the requester —"  # type: ignore[attr-defined]
        self.fields["site"].queryset = (  # type: ignore[attr-defined]
            Site.objects.for_user(user).filter(client=client) if client else Site.objects.none()
        )
        self.fields["application"].queryset = (  # type: ignore[attr-defined]
            ListedApplication.objects.for_user(user).filter(client=client)
            if client
            else ListedApplication.objects.none()
        )
        self.fields["category"].queryset = TicketCategory.objects.filter(is_active=True).select_related("parent")  # type: ignore[attr-defined]
        if client is not None:
            self.initial.setdefault("client", client.pk)
        for name in ("title", "description", "tried", "error_messages", "conditions", "priority", "category"):
            self.fields[name].widget.attrs["data-r14"] = "true"
        for field in self.fields.values():
            _quiet_empty_choice(field)
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")

    def _post_clean(self) -> None:
        """With "escalate" ticked, name every field R14 still misses in the same answer as the
        other mistakes (the service checks again when it escalates)."""
        super()._post_clean()  # type: ignore[misc]
        if not self.cleaned_data.get("escalate"):
            return
        for problem in escalation_problems(self.instance):
            if problem.field in self.fields and problem.field not in self.errors:
                self.add_error(problem.field, forms.ValidationError(problem.message, code=problem.code))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("affected_person") is None and data.get("requester") is not None:
            data["affected_person"] = data["requester"]
        return data


def _quiet_empty_choice(field: forms.Field) -> None:
    """'—' rather than Django's '---------' for "nothing chosen"."""
    if isinstance(field, forms.ModelChoiceField):
        if field.empty_label == "---------":
            field.empty_label = "—"
    elif isinstance(field, forms.ChoiceField):
        choices = list(field.choices)  # type: ignore[arg-type]
        if choices and choices[0][0] == "":
            field.choices = [("", "—"), *choices[1:]]


def _person_label(person: Person) -> str:
    level = person.get_level_display() if person.level else person.get_kind_display()
    return f"{person.full_name} — {level}"
