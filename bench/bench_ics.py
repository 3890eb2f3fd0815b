"""iCalendar: export of 10,000 single and 1,000 recurring events (time, size),
and import of that file into an empty instance (events per second).

The reference beside each figure is icalendar's own work on the same file in
the same run: serializing the built VCALENDAR for the export, parsing the
file for the import, so a busy machine shifts both. Target: the import runs
at >= 1/2 the speed of parsing the file alone.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from bench.harness import setup_django, target

SINGLES = int(os.environ.get("BENCH_ICS_SINGLES", 10_000))
SERIES = int(os.environ.get("BENCH_ICS_SERIES", 1_000))
ZONES = ["Europe/Bucharest", "America/New_York", "Asia/Tokyo", "UTC", None]
BASE_TIME = 1_780_000_000_000
ROOT = Path(__file__).resolve().parent.parent


def _wall(value: datetime | date) -> str:
    return value.isoformat() if not isinstance(value, datetime) else value.strftime("%Y-%m-%dT%H:%M:%S")


def bodies(rng: random.Random) -> list[dict]:
    """Calendar bodies (docs/PROTOCOL.md section 5.1): singles, series, and a few overrides and cancellations."""
    out = []
    for i in range(SINGLES):
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(730))
        if i % 10 == 0:
            event = {"title": f"day {i}", "start": _wall(day), "end": _wall(day + timedelta(days=1 + i % 3)), "all_day": True, "tz": None}
        else:
            start = datetime(day.year, day.month, day.day, rng.randrange(7, 19), rng.choice([0, 15, 30, 45]))
            end = start + timedelta(minutes=rng.choice([30, 60, 90]))
            event = {"title": f"meeting {i}", "start": _wall(start), "end": _wall(end), "all_day": False, "tz": rng.choice(ZONES)}
        event.update(rrule=None, exdates=[], location=f"room {i % 40}" if i % 3 == 0 else None, description=None)
        out.append({"type": "event.put", "uid": f"single-{i}@bench", "recurrence_id": None, "event": event})
    for i in range(SERIES):
        start = datetime(2024 + i % 3, 1 + rng.randrange(12), 1 + rng.randrange(28), rng.randrange(7, 20), rng.choice([0, 30]))
        rule = ["FREQ=DAILY;COUNT=30", "FREQ=WEEKLY;BYDAY=MO,WE", "FREQ=MONTHLY;BYDAY=2TU", "FREQ=YEARLY"][i % 4]
        if i % 5 == 0:
            rule = rule.split(";COUNT")[0] + ";UNTIL=20280101T000000Z"
        event = {"title": f"series {i}", "start": _wall(start), "end": _wall(start + timedelta(hours=1)), "all_day": False,
                 "tz": ZONES[i % 4], "rrule": rule, "exdates": [], "location": None, "description": f"notes {i}"}
        uid = f"series-{i}@bench"
        out.append({"type": "event.put", "uid": uid, "recurrence_id": None, "event": event})
        if i % 4 == 0:  # daily: move the 3rd occurrence, cancel the 5th
            third, fifth = start + timedelta(days=2), start + timedelta(days=4)
            moved = {**event, "rrule": None, "start": _wall(third + timedelta(hours=2)), "end": _wall(third + timedelta(hours=3))}
            out.append({"type": "event.put", "uid": uid, "recurrence_id": _wall(third), "event": moved})
            out.append({"type": "event.del", "uid": uid, "recurrence_id": _wall(fifth)})
    return out


def fill_log(items: list[dict]) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from devtools.feeds import FeedWriter
    from events import log
    from events.index.fold import catch_up

    feed = FeedWriter(Ed25519PrivateKey.generate())
    entries = [feed.write(body, time=BASE_TIME + seq * 1000) for seq, body in enumerate(items, 1)]
    for i in range(0, len(entries), 1000):
        log.receive(entries[i : i + 1000])
    catch_up()


CHILD = """
import json, sys, time
from bench.harness import setup_django, target
setup_django("ics-import")
from events import log
from events.ics import importing
data = open(sys.argv[1], "rb").read()
started = time.perf_counter()
report = importing.import_calendar(data)
elapsed = time.perf_counter() - started
print(json.dumps({"seconds": elapsed, "report": report.as_dict(), "entries": sum(log.vector().values())}))
"""


def main() -> None:
    setup_django("ics")
    from icalendar import Calendar

    from events.ics import export
    from events.ics.read import read_calendar

    items = bodies(random.Random(7))
    fill_log(items)
    events = SINGLES + SERIES

    started = time.perf_counter()
    body = export.export_calendar()
    export_s = time.perf_counter() - started
    vevents = export.count_vevents(body)
    cal = Calendar.from_ical(body)
    started = time.perf_counter()
    cal.to_ical()
    serialize_s = time.perf_counter() - started
    print(f"   export: {events:,} events ({vevents:,} VEVENTs) in {export_s:.2f} s, {len(body) / 2**20:.1f} MB, "
          f"{events / export_s:,.0f} events/s ({export_s / serialize_s:.1f}x icalendar's serialization alone)")
    assert export.export_calendar() == body, "export is not deterministic"

    started = time.perf_counter()
    read_calendar(body)
    parse_s = time.perf_counter() - started

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "calendar.ics"
        path.write_bytes(body)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "calendar_p2p.settings"}
        done = subprocess.run([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"   import FAILED: {done.stderr[-2000:]}")
        return
    result = json.loads(done.stdout.strip().splitlines()[-1])
    report, seconds = result["report"], result["seconds"]
    print(f"   import into an empty instance: {report['created']:,} created, {report['occurrences_changed']:,} moved, "
          f"{report['occurrences_cancelled']:,} cancelled, {len(report['skipped'])} skipped, {result['entries']:,} entries "
          f"in {seconds:.1f} s = {events / seconds:,.0f} events/s "
          f"(parsing alone: {parse_s:.2f} s, {seconds / parse_s:.1f}x)")
    share = parse_s / seconds
    target(".ics import vs parsing alone", f"1/{seconds / parse_s:.1f} ({events / seconds:,.0f} events/s)", ">= 1/2", share >= 0.5)
