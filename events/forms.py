"""The event form: every field of an event (docs/PROTOCOL.md section 5.2), with repetition split
into the choices people know (none/daily/weekly on days/monthly/yearly,
every N, ending never/on a date/after N times)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django import forms

from events.occurrences import wall_time
from events.recurrence.rrule import CALENDAR_FREQS, DAY_NAMES, DAYS, Repeat, join_rrule, split_rrule
from events.recurrence.timing import MAX_TITLE, is_zone

REPEAT_CHOICES = [("", "Does not repeat")] + [(freq, freq.capitalize()) for freq in CALENDAR_FREQS]
ENDS_CHOICES = [("never", "Never"), ("until", "On a date"), ("count", "After a number of times")]
SCOPE_CHOICES = [("occurrence", "Only this occurrence"), ("following", "This and following events"),
                 ("series", "The whole series")]


class EventForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE)
    all_day = forms.BooleanField(required=False, label="All day")
    start_date = forms.DateField(label="Starts", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(required=False, label="Start time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_date = forms.DateField(label="Ends", widget=forms.DateInput(attrs={"type": "date"}))
    end_time = forms.TimeField(required=False, label="End time", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    tz = forms.CharField(required=False, label="Time zone", max_length=64, widget=forms.TextInput(attrs={"list": "zones", "autocomplete": "off"}))
    repeat = forms.ChoiceField(choices=REPEAT_CHOICES, required=False, label="Repeat")
    interval = forms.IntegerField(min_value=1, max_value=999, initial=1, required=False, label="Every")
    byday = forms.MultipleChoiceField(
        choices=[(d, DAY_NAMES[d][:3]) for d in DAYS], required=False, label="On", widget=forms.CheckboxSelectMultiple
    )
    ends = forms.ChoiceField(choices=ENDS_CHOICES, initial="never", required=False, label="Ends", widget=forms.RadioSelect)
    until = forms.DateField(required=False, label="Until", widget=forms.DateInput(attrs={"type": "date"}))
    count = forms.IntegerField(min_value=1, max_value=10000, required=False, label="Times")
    location = forms.CharField(required=False, max_length=500)
    description = forms.CharField(required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    reminders = forms.CharField(required=False, max_length=100, label="Reminders (minutes before)",
                                widget=forms.TextInput(attrs={"placeholder": "e.g. 10, 60", "inputmode": "numeric"}))
    scope = forms.ChoiceField(choices=SCOPE_CHOICES, required=False, initial="occurrence", widget=forms.RadioSelect, label="Apply to")
    rename_changed = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, occurrence: bool = False, extra_rule: dict | None = None, changed: int = 0, **kwargs):
        """`changed`: how many occurrences of the series were edited on their own
        (a new title for the series can be given to them too)."""
        super().__init__(*args, **kwargs)
        self.occurrence = occurrence
        self.extra_rule = extra_rule or {}
        if not occurrence:
            del self.fields["scope"]
        if changed:
            self.fields["rename_changed"].label = (
                f"Also rename {changed} changed occurrence{'s' if changed != 1 else ''}")
        else:
            del self.fields["rename_changed"]

    @classmethod
    def initial_from(cls, event: dict) -> tuple[dict, dict]:
        """Form initial values for an event, and the RRULE parts the form does not edit."""
        start, end = (wall_time(event[name]) if event.get(name) else None for name in ("start", "end"))
        all_day = bool(event.get("all_day"))
        if all_day and isinstance(end, date) and isinstance(start, date) and end > start:
            end = end - timedelta(days=1)  # the form shows the last day; the event's end is exclusive
        repeat = split_rrule(event.get("rrule"))
        initial = {
            "title": event.get("title") or "",
            "all_day": all_day,
            "start_date": start.date() if isinstance(start, datetime) else start,
            "start_time": start.time() if isinstance(start, datetime) else None,
            "end_date": (end.date() if isinstance(end, datetime) else end) if end else None,
            "end_time": end.time() if isinstance(end, datetime) else None,
            "tz": event.get("tz") or "",
            "repeat": repeat.freq if repeat.freq in CALENDAR_FREQS else "",
            "interval": repeat.interval,
            "byday": repeat.byday,
            "ends": "until" if repeat.until else ("count" if repeat.count else "never"),
            "until": date.fromisoformat(repeat.until[:10]) if repeat.until[:10].count("-") == 2 else None,
            "count": repeat.count,
            "location": event.get("location") or "",
            "description": event.get("description") or "",
            "reminders": ", ".join(str(m) for m in event.get("reminders") or [] if isinstance(m, int)),
            "scope": "occurrence",
        }
        return initial, repeat.extra

    def clean_reminders(self) -> list[int]:
        """"10, 60": minutes before the start (docs/PROTOCOL.md section 5.2)."""
        text = self.cleaned_data.get("reminders") or ""
        try:
            minutes = sorted({int(part) for part in text.replace(",", " ").split()})
        except ValueError:
            raise forms.ValidationError("Reminders are minutes before the start, e.g. “10, 60”.") from None
        if len(minutes) > 10 or any(not 0 <= m <= 40320 for m in minutes):
            raise forms.ValidationError("At most 10 reminders, each up to 40320 minutes (four weeks) before.")
        return minutes

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        all_day = data.get("all_day")
        if not all_day:
            if data.get("start_time") is None:
                self.add_error("start_time", "Give a start time, or tick “All day”.")
            if data.get("end_time") is None:
                data["end_time"] = data.get("start_time")
        tz = (data.get("tz") or "").strip()
        if tz and not is_zone(tz):
            self.add_error("tz", f"“{tz}” is not a known time zone.")
        if self.errors:
            return data
        start, end = self.start_end(data)
        if end < start or (end == start and all_day):
            self.add_error("end_date", "The event must end after it starts.")
        if data.get("repeat") and data.get("ends") == "until" and not data.get("until"):
            self.add_error("until", "Give the last date, or choose another ending.")
        if data.get("repeat") and data.get("ends") == "count" and not data.get("count"):
            self.add_error("count", "Give how many times, or choose another ending.")
        return data

    @staticmethod
    def start_end(data: dict) -> tuple[date | datetime, date | datetime]:
        if data.get("all_day"):
            return data["start_date"], data["end_date"] + timedelta(days=1)
        start = datetime.combine(data["start_date"], data["start_time"] or time())
        end = datetime.combine(data["end_date"], data["end_time"] or time())
        if end == start:
            end = start + timedelta(hours=1)
        return start, end

    def event_fields(self) -> dict:
        """The event fields (docs/PROTOCOL.md section 5.2) the form edits (rrule only for a series)."""
        data = self.cleaned_data
        start, end = self.start_end(data)
        all_day = bool(data.get("all_day"))
        fields = {
            "title": data["title"],
            "start": start.isoformat(),
            "end": end.isoformat(),
            "all_day": all_day,
            "tz": None if all_day else ((data.get("tz") or "").strip() or None),
            "location": data.get("location") or None,
            "description": data.get("description") or None,
            "reminders": data.get("reminders") or None,
        }
        if data.get("repeat"):
            ends = data.get("ends")
            repeat = Repeat(
                freq=data["repeat"],
                interval=data.get("interval") or 1,
                byday=list(data.get("byday") or []) if data["repeat"] == "WEEKLY" else [],
                until=data["until"].isoformat() if ends == "until" and data.get("until") else "",
                count=data.get("count") if ends == "count" else None,
                extra=dict(self.extra_rule),
            )
            fields["rrule"] = join_rrule(repeat, until_time=None if all_day else "235959")
        else:
            fields["rrule"] = None
        return fields


class InstanceSettingsForm(forms.Form):
    """The Settings page: who this instance is (name, public URL) and its time
    zone. A value the environment sets is shown but cannot be changed here."""

    name = forms.CharField(
        label="Instance name", max_length=100, help_text="The name your friends see for this calendar.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    public_url = forms.CharField(
        label="Public URL", max_length=500,
        help_text="The address your friends' instances use to reach this one, e.g. https://cal.example.org",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    tz = forms.CharField(
        label="Show times in this time zone", max_length=64,
        widget=forms.TextInput(attrs={"list": "zones", "autocomplete": "off"}),
    )

    def __init__(self, *args, locked: dict[str, str] | None = None, **kwargs):
        """`locked`: field -> the environment variable that sets it."""
        super().__init__(*args, **kwargs)
        self.locked = locked or {}
        for name, variable in self.locked.items():
            field = self.fields[name]
            field.disabled = True
            field.help_text = f"Set by the {variable} environment variable: change it there and restart."

    def _checked(self, name: str, check: Callable[[str], str]) -> str:
        """The field's value as `check` (one of events.instance's) normalizes it."""
        if self.fields[name].disabled:  # the environment's value, not the owner's
            return self.cleaned_data[name]
        try:
            return check(self.cleaned_data[name])
        except ValueError as e:
            raise forms.ValidationError(str(e)) from None

    def clean_name(self) -> str:
        from events.instance import clean_name

        return self._checked("name", clean_name)

    def clean_public_url(self) -> str:
        from events.instance import clean_public_url

        return self._checked("public_url", clean_public_url)

    def clean_tz(self) -> str:
        tz = self.cleaned_data["tz"].strip()
        if not is_zone(tz) and not self.fields["tz"].disabled:
            raise forms.ValidationError(f"“{tz}” is not a time zone this instance knows (for example Europe/Bucharest).")
        return tz
