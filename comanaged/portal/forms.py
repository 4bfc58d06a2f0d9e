"""Portal forms."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms

from comanaged.tenancy.choices import AbsenceKind


class PtoForm(forms.Form):
    """A POC records their own PTO or sick days, as whole days in the client's time zone (R11)."""

    kind = forms.ChoiceField(choices=AbsenceKind.choices, widget=forms.Select(attrs={"class": "form-select"}))
    first_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    last_day = forms.DateField(widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}))
    note = forms.CharField(max_length=200, required=False, widget=forms.TextInput(attrs={"class": "form-control"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        today = dt.date.today()
        if first and not today - dt.timedelta(days=366) <= first <= today + dt.timedelta(days=3 * 366):
            self.add_error("first_day", "Record time off within the past year or the next three years.")
        elif first and last and last < first:
            self.add_error("last_day", "The last day cannot be before the first day.")
        elif first and last and (last - first).days > 366:
            self.add_error("last_day", "Record at most a year at a time.")
        return data

    def period(self, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
        """From the first day's local midnight to the midnight after the last day."""
        zone = ZoneInfo(time_zone)
        first: dt.date = self.cleaned_data["first_day"]
        last: dt.date = self.cleaned_data["last_day"]
        start = dt.datetime.combine(first, dt.time(0), tzinfo=zone)
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)
