"""The owner's preferences (the viewer's time zone), stored in `Preference`."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.conf import settings
from django.db import DatabaseError

from events.models import Preference

TZ_KEY = "viewer_tz"


def is_zone(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def zone_names() -> list[str]:
    return sorted(z for z in available_timezones() if "/" in z or z == "UTC")


def viewer_tz() -> str:
    """The owner's zone; before one is chosen (or before the database is set up,
    as for `manage.py parse` in a fresh checkout), the instance's default."""
    try:
        value = Preference.objects.filter(key=TZ_KEY).values_list("value", flat=True).first()
    except DatabaseError:
        value = None
    return value if value and is_zone(value) else settings.CALENDAR_TIME_ZONE


def set_viewer_tz(name: str) -> None:
    if not is_zone(name):
        raise ValueError(f"unknown time zone: {name!r}")
    Preference.objects.update_or_create(key=TZ_KEY, defaults={"value": name})
