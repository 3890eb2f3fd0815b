"""Export, import into a fresh instance, export again: the same events."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from icalendar import Calendar

from events.ics import export
from tests.test_ics_export import make_every_kind

pytestmark = pytest.mark.django_db(databases=["default", "index"])

ROOT = Path(__file__).resolve().parent.parent
VOLATILE = {"DTSTAMP", "SEQUENCE", "LAST-MODIFIED"}

FRESH_INSTANCE = textwrap.dedent(
    """
    import sys
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", database="default", verbosity=0)
    call_command("migrate", database="index", verbosity=0)
    call_command("import_ics", sys.argv[1])
    call_command("export_ics", "-o", sys.argv[2])
    """
)


def events_of(body: bytes) -> dict:
    out = {}
    for event in Calendar.from_ical(body).walk("VEVENT"):
        rid = event.get("RECURRENCE-ID")
        key = (str(event["UID"]), rid.to_ical().decode() if rid is not None else "")
        assert key not in out
        out[key] = {name: event[name].to_ical() if hasattr(event[name], "to_ical") else str(event[name]) for name in event if name not in VOLATILE}
        for name in ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE"):
            if name in event:
                out[key][name + ";params"] = dict(event[name].params) if hasattr(event[name], "params") else None
    return out


def test_export_import_export_in_a_fresh_instance_gives_the_same_events(tmp_path):
    make_every_kind()
    first = export.export_calendar()
    (tmp_path / "first.ics").write_bytes(first)
    env = {**os.environ, "DATA_DIR": str(tmp_path / "fresh"), "DJANGO_SETTINGS_MODULE": "calendar_p2p.settings"}
    done = subprocess.run(
        [sys.executable, "-c", FRESH_INSTANCE, str(tmp_path / "first.ics"), str(tmp_path / "second.ics")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "0 skipped" in done.stdout
    second = (tmp_path / "second.ics").read_bytes()
    before, after = events_of(first), events_of(second)
    assert sorted(before) == sorted(after) and len(before) == 17
    for key in before:
        assert before[key] == after[key], key
    calendars = Calendar.from_ical(first), Calendar.from_ical(second)
    assert [tz.to_ical() for tz in calendars[0].timezones] == [tz.to_ical() for tz in calendars[1].timezones]
