"""Real CalDAV clients against a real instance (daphne): the `caldav` library
and vdirsyncer. Configured with only the instance's address, the user name
and an app password, as a person would type them into a phone."""

import json
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

pytestmark = pytest.mark.slow

caldav = pytest.importorskip("caldav")

NOW = "2026-11-15T10:00"
ZONE = "Europe/Berlin"
BERLIN = ZoneInfo(ZONE)


@pytest.fixture
def instance(spawn):
    inst = spawn("dav", now=NOW, tz=ZONE)
    inst.account = json.loads(inst.manage("app_password", "--create", "Phone", "--json"))
    return inst


def client_for(inst):
    return caldav.DAVClient(
        url=inst.url, username=inst.account["username"], password=inst.account["password"]
    )


def page_occurrences(inst, start="2026-11-01", end="2026-12-01") -> list[tuple[str, str]]:
    """What the web page shows for November: the index's own range query."""
    found = json.loads(inst.manage("query", start, end, "--tz", ZONE, "--json"))
    return sorted((o["title"], o["start"]) for o in found)


def client_occurrences(
    cal, start=datetime(2026, 11, 1), end=datetime(2026, 12, 1)
) -> list[tuple[str, str]]:
    out = []
    for found in cal.search(start=start, end=end, event=True, expand=True):
        for vevent in found.icalendar_instance.walk("VEVENT"):
            begin = vevent.decoded("DTSTART")
            if isinstance(begin, datetime):
                begin = begin.astimezone(BERLIN) if begin.tzinfo else begin.replace(tzinfo=BERLIN)
            out.append((str(vevent["SUMMARY"]), begin.isoformat()))
    return sorted(out)


def test_a_calendar_app_finds_edits_and_syncs_the_calendar(instance):
    instance.run_python(
        "from events import calendar\n"
        "calendar.create_event(title='yoga', start='2026-11-03T18:00:00', end='2026-11-03T19:00:00', "
        "tz='Europe/Berlin', rrule='FREQ=WEEKLY')\n"
        "calendar.create_event(title='holiday', start='2026-11-20', end='2026-11-22', all_day=True)"
    )
    principal = client_for(instance).principal()
    [cal] = principal.calendars()
    assert cal.get_display_name() == "Personal" and cal.get_supported_components() == ["VEVENT"]
    assert client_occurrences(cal) == page_occurrences(instance)
    sync = cal.objects_by_sync_token(load_objects=False)
    assert len(list(sync)) == 2

    # create a series, move one occurrence, delete another event: each shows on the page
    made = cal.save_event(
        dtstart=datetime(2026, 11, 16, 9, 0, tzinfo=BERLIN),
        dtend=datetime(2026, 11, 16, 9, 30, tzinfo=BERLIN),
        summary="standup",
        rrule={"FREQ": "DAILY", "COUNT": 3},
    )
    uid = str(made.icalendar_component["UID"])
    assert ("standup", "2026-11-17T09:00:00+01:00") in page_occurrences(instance)
    event = cal.event_by_uid(uid)
    ical = event.icalendar_instance
    moved = Event()
    moved.add("uid", uid)
    moved.add("dtstamp", datetime(2026, 11, 15, 10, 0, tzinfo=BERLIN))
    moved.add("recurrence-id", datetime(2026, 11, 17, 9, 0, tzinfo=BERLIN))
    moved.add("dtstart", datetime(2026, 11, 17, 14, 0, tzinfo=BERLIN))
    moved.add("dtend", datetime(2026, 11, 17, 14, 30, tzinfo=BERLIN))
    moved.add("summary", "standup (afternoon)")
    ical.add_component(moved)
    event.save()
    shown = page_occurrences(instance)
    assert ("standup (afternoon)", "2026-11-17T14:00:00+01:00") in shown
    assert ("standup", "2026-11-17T09:00:00+01:00") not in shown
    [holiday] = [
        o for o in cal.search(start=datetime(2026, 11, 20), end=datetime(2026, 11, 21), event=True)
    ]
    holiday.delete()
    assert not any(title == "holiday" for title, _ in page_occurrences(instance))
    assert client_occurrences(cal) == page_occurrences(instance)

    # a change on the page reaches the app through its sync token
    instance.run_python(
        "from events import calendar\n"
        f"calendar.edit_occurrence({uid!r}, '2026-11-18T09:00:00', title='standup (short)')"
    )
    sync.sync()
    assert {str(o.icalendar_component["UID"]) for o in sync} == {uid} | {
        str(o.icalendar_component["UID"])
        for o in sync
        if str(o.icalendar_component["SUMMARY"]) == "yoga"
    }
    refetched = cal.event_by_uid(uid)
    summaries = {str(v["SUMMARY"]) for v in refetched.icalendar_instance.walk("VEVENT")}
    assert summaries == {"standup", "standup (afternoon)", "standup (short)"}


# --- vdirsyncer ---------------------------------------------------------------------------------


def vdirsyncer(config: Path, *args: str) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("vdirsyncer")
    return subprocess.run(
        [str(exe), "-c", str(config), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def vdirsyncer_config(tmp: Path, inst) -> Path:
    config = tmp / "vdirsyncer.conf"
    config.write_text(
        f"""[general]
status_path = "{tmp / "status"}"

[pair phone]
a = "local"
b = "instance"
collections = ["from b"]
conflict_resolution = "b wins"

[storage local]
type = "caldav"
""".replace('type = "caldav"', f'type = "filesystem"\npath = "{tmp / "local"}"\nfileext = ".ics"')
        + f"""
[storage instance]
type = "caldav"
url = "{inst.url}/"
username = "{inst.account["username"]}"
password = "{inst.account["password"]}"
"""
    )
    return config


def one_event(uid: str, title: str, day: date) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//test//EN")
    cal.add("version", "2.0")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", datetime(2026, 11, 15, 10, 0, tzinfo=BERLIN))
    event.add("dtstart", day)
    event.add("dtend", date(day.year, day.month, day.day + 1))
    event.add("summary", title)
    cal.add_component(event)
    return cal.to_ical()


def test_vdirsyncer_syncs_both_ways_and_a_second_sync_fetches_nothing(instance, tmp_path):
    instance.run_python(
        "from events import calendar\n"
        "calendar.create_event(uid='page@x', title='from the page', start='2026-11-10', end='2026-11-11', all_day=True)"
    )
    config = vdirsyncer_config(tmp_path, instance)
    [mine] = [c for c in json.loads(instance.manage("calendars", "--json")) if c["name"] == "Personal"]
    collection = mine["id"].partition(".")[2]  # a collection is named by its calendar's id
    (tmp_path / "local" / collection).mkdir(parents=True)  # discover would ask before making it
    for step in (["discover", "phone"], ["sync"]):
        done = vdirsyncer(config, *step)
        assert done.returncode == 0, done.stderr[-3000:]
    [folder] = (tmp_path / "local").iterdir()
    assert folder.name == collection
    [local] = folder.glob("*.ics")
    assert b"SUMMARY:from the page" in local.read_bytes()

    (folder / "laptop.ics").write_bytes(
        one_event("laptop@x", "from the laptop", date(2026, 11, 12))
    )
    instance.run_python(
        "from events import calendar\ncalendar.edit_series('page@x', title='renamed on the page')"
    )
    done = vdirsyncer(config, "sync")
    assert done.returncode == 0, done.stderr[-3000:]
    assert ("from the laptop", "2026-11-12") in page_occurrences(instance)
    texts = b"".join(p.read_bytes() for p in folder.glob("*.ics"))
    assert b"SUMMARY:renamed on the page" in texts

    vdirsyncer(config, "sync")  # settles the etags of what the last sync wrote
    seen = len(instance.log_text().splitlines())
    again = vdirsyncer(config, "sync")
    assert again.returncode == 0, again.stderr[-3000:]
    requests = [line for line in instance.log_text().splitlines()[seen:] if '"' in line]
    assert requests and not [r for r in requests if '"GET ' in r or '"REPORT ' in r or '"PUT ' in r]
    assert "Copying" not in again.stderr
