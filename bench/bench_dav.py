"""CalDAV: a month's calendar-query and a one-change sync-collection.

On 10,000 single and 1,000 recurring events (the calendar of bench_ics):

- calendar-query for one month (the REPORT a calendar app sends when it
  opens a month), through Django's whole request path, against the index's
  own range query for the same month in the same run. Target: <= 3x, asking
  for ETags; asking for the bodies too is shown beside it, cold (first
  rendering) and warm (bodies remembered by ETag).
- sync-collection after one change: bytes and time, beside the same sync on
  a calendar ten times smaller (a child process). Target: independent of size
  (the same bytes; time within 2x).
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime

from bench.harness import median_time, setup_django, verdict

MONTH = (datetime(2025, 6, 1, tzinfo=UTC), datetime(2025, 7, 1, tzinfo=UTC))
NS = 'xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"'


def month_query(props: str) -> str:
    start, end = (t.strftime("%Y%m%dT%H%M%SZ") for t in MONTH)
    return (
        f'<c:calendar-query {NS}><d:prop>{props}</d:prop><c:filter><c:comp-filter name="VCALENDAR">'
        f'<c:comp-filter name="VEVENT"><c:time-range start="{start}" end="{end}"/></c:comp-filter>'
        "</c:comp-filter></c:filter></c:calendar-query>"
    )


def interleaved(reference, measured, *, repeat: int = 9) -> tuple[float, float]:
    """Median times of two functions run turn about, so that a busy moment
    on a shared machine slows both alike."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for fn, into in ((reference, times[0]), (measured, times[1])):
            started = time.perf_counter()
            fn()
            into.append(time.perf_counter() - started)
    return statistics.median(times[0]), statistics.median(times[1])


def sync_body(token: str) -> str:
    return (
        f"<d:sync-collection {NS}><d:sync-token>{token}</d:sync-token><d:sync-level>1</d:sync-level>"
        "<d:prop><d:getetag/></d:prop></d:sync-collection>"
    )


def _prepare():
    """A calendar in the log, an app password and a DAV client; the first request builds the resource table."""
    from bench.bench_ics import bodies, fill_log
    from dav import passwords
    from devtools.dav_client import DavClient, personal

    phone = DavClient(passwords.create("bench").password)
    phone.propfind(
        "/dav/"
    )  # checks the password once (the production hasher), before the clock starts
    items = bodies(random.Random(7))
    fill_log(items)
    started = time.perf_counter()
    response = phone.propfind(personal(), "<d:prop><d:sync-token/></d:prop>")
    assert response.status_code == 207
    return phone, len(items), time.perf_counter() - started


def _one_change_sync(phone) -> dict:
    from devtools.dav_client import personal, sync_token
    from events import calendar

    token = sync_token(phone.report(personal(), sync_body("")))
    sizes = []
    times = []
    for round_ in range(7):
        calendar.edit_series(
            "single-17@bench", title=f"changed {round_}"
        )  # not timed: only the sync is
        started = time.perf_counter()
        response = phone.report(personal(), sync_body(token))
        times.append(time.perf_counter() - started)
        token = sync_token(response)
        sizes.append(len(response.content))
    times.sort()
    return {"seconds": times[len(times) // 2], "bytes": max(sizes)}


def child() -> None:
    setup_django("dav-small")
    phone, entries, _ = _prepare()
    print(json.dumps({"entries": entries, **_one_change_sync(phone)}))


def main() -> None:
    setup_django("dav")
    from devtools.dav_client import personal
    from events.index.query import query
    from events.index.snapshot import forget_answers

    phone, entries, first = _prepare()
    collection = personal()
    print(
        f"   {entries:,} entries; the first DAV request builds the resource table in {first:.2f} s"
    )
    # both work the month out from the index rows, not from the answer a previous query kept
    reference, etags = interleaved(
        lambda: (forget_answers(), query(*MONTH, "UTC")),
        lambda: (forget_answers(), phone.report(collection, month_query("<d:getetag/>"))),
    )
    found = len({o.uid for o in query(*MONTH, "UTC").occurrences})
    ratio = etags / reference
    print(f"   index query, one month ({found} events):          {reference * 1000:8.1f} ms")
    print(
        f"   calendar-query, ETags:                       {etags * 1000:8.1f} ms  ({ratio:.1f}x)  {verdict(ratio <= 3)}"
    )
    started = time.perf_counter()
    phone.report(collection, month_query("<d:getetag/><c:calendar-data/>"))
    cold = time.perf_counter() - started
    warm = median_time(
        lambda: phone.report(collection, month_query("<d:getetag/><c:calendar-data/>"))
    )
    print(
        f"   calendar-query, ETags and bodies, cold:     {cold * 1000:8.1f} ms  ({cold / reference:.1f}x)"
    )
    print(
        f"   calendar-query, ETags and bodies, warm:     {warm * 1000:8.1f} ms  ({warm / reference:.1f}x)"
    )

    big = _one_change_sync(phone)
    env = {**os.environ, "BENCH_ICS_SINGLES": "1000", "BENCH_ICS_SERIES": "100"}
    done = subprocess.run(
        [sys.executable, "-c", "from bench.bench_dav import child; child()"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    small = json.loads(done.stdout.strip().splitlines()[-1])
    same_bytes = abs(big["bytes"] - small["bytes"]) <= 8  # the token's counter has more digits
    ratio = big["seconds"] / small["seconds"]
    print(
        f"   sync-collection, one change: {entries:,} entries {big['bytes']} bytes {big['seconds'] * 1000:.1f} ms; "
        f"{small['entries']:,} entries {small['bytes']} bytes {small['seconds'] * 1000:.1f} ms  ({ratio:.1f}x)  "
        f"{verdict(same_bytes and ratio <= 2)}"
    )
