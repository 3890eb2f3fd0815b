"""The reminder each of the owner's calendars gives the events made in it
on this instance's pages (quick-add, a new event from the week or day grid)
when they name none: "10 minutes before", or none.

It is the owner's preference, kept on this instance like the hidden
calendars (`Preference`, one JSON object calendar -> minutes), not in the
log: peers and phones decide their own. Once given, the reminder is an
ordinary field of the event (docs/PROTOCOL.md section 5.2), shown on its
page and exported as a VALARM like any other.
"""

from __future__ import annotations

import json

from events.calendars import state
from events.calendars.own import CalendarRefused
from events.models import Preference

KEY = "default_reminders"
# minutes before the start -> how the Calendars page says it
CHOICES = {0: "At the start", 5: "5 minutes before", 10: "10 minutes before", 15: "15 minutes before",
           30: "30 minutes before", 60: "1 hour before", 1440: "1 day before"}


def default_reminders() -> dict[str, int]:
    """calendar -> minutes, for the calendars that have a default reminder."""
    value = Preference.objects.filter(key=KEY).values_list("value", flat=True).first()
    try:
        stored = json.loads(value) if value else {}
    except ValueError:
        return {}
    return {k: v for k, v in stored.items() if v in CHOICES} if isinstance(stored, dict) else {}


def default_reminder(calendar: str) -> int | None:
    """The minutes before the start a new event of `calendar` is reminded at, or None."""
    return default_reminders().get(calendar)


def set_default_reminder(calendar: str, minutes: int | None) -> None:
    """Give new events of one of our own calendars a reminder (None: no reminder)."""
    row = state.get(calendar)
    if row is None or row.deleted or row.my_role != "owner":
        raise CalendarRefused("a default reminder can only be set for a calendar of your own")
    if minutes is not None and minutes not in CHOICES:
        raise CalendarRefused(f"choose one of: {', '.join(CHOICES.values())}, or none")
    now = default_reminders()
    if minutes is None:
        now.pop(calendar, None)
    else:
        now[calendar] = minutes
    Preference.objects.update_or_create(key=KEY, defaults={"value": json.dumps(now, sort_keys=True)})
