"""The owner's time zone: the one the calendar is shown in and quick-add
phrases are read in.

It is the instance's time zone (`events.instance`): `TIME_ZONE` in the
environment, else what the owner chose on the Settings page (kept in
DATA_DIR/instance.json), else the system's zone. Earlier versions kept the
owner's choice in the `Preference` table; events.setup moves it to the file.
"""

from __future__ import annotations

from zoneinfo import available_timezones

from events import instance
from events.recurrence.timing import is_zone

TZ_KEY = "viewer_tz"  # the Preference row earlier versions used


def zone_names() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def viewer_tz() -> str:
    """The owner's zone (an unknown zone name given in TIME_ZONE falls back to UTC)."""
    value = instance.time_zone()
    return value if is_zone(value) else "UTC"


def zone_from_environment() -> bool:
    """True when TIME_ZONE is set, so the Settings page cannot change the zone."""
    return instance.current().from_environment("time_zone")


def set_viewer_tz(name: str) -> None:
    if not is_zone(name):
        raise ValueError(f"unknown time zone: {name!r}")
    instance.save(time_zone=name)
