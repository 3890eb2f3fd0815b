"""Calendars with sealed events (docs/PROTOCOL.md section 6).

    python -m bench calendars        (BENCH_CAL_ENTRIES=100000 by default)

Prints, beside references measured in the same run:
- a bundle of entries, 80% of them events sealed for a calendar shared with
  this instance, imported: rate as a share of one core verifying Ed25519
  signatures (target >= 75%); and imported then folded into the index, the
  sealed events opened on the way;
- the month query on a calendar of sealed events against the same events
  in the clear a year later (target: within 10%).
"""

from __future__ import annotations

import io
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import median_time, setup_django, target, verdict, verify_rate  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_CAL_ENTRIES", "100000"))
CAL = "0123456789abcdef0123456789abcdef"
YEAR_START = date(2026, 1, 1)  # events spread over a year
MONTH = (date(2026, 6, 1), date(2026, 7, 1))  # the month queried
YEAR = timedelta(days=364)  # a year later, on the same weekdays


def _event(i: int, shift: timedelta = timedelta(0)) -> dict:
    rnd = random.Random(i)
    day = YEAR_START + timedelta(days=rnd.randrange(0, 365)) + shift
    hour = rnd.randrange(7, 20)
    return {"title": f"meeting {i}", "start": f"{day}T{hour:02}:00:00", "end": f"{day}T{hour:02}:45:00",
            "all_day": False, "tz": "Europe/Bucharest", "rrule": None, "exdates": [], "location": "room 4",
            "description": None}


def _bundle(*remotes) -> bytes:
    return b"\n".join(e.raw for r in remotes for e in r.entries) + b"\n"


def build_bundle(n: int, me: str, my_key: bytes) -> tuple[bytes, int]:
    """(the bundle, how many events are sealed): 80% sealed events in a
    friend's calendar shared with us, 20% events in the clear two years later."""
    from devtools.calendars import Remote
    from events.calendars.keys import seal_event

    friend = Remote("friend")
    friend.publish()
    friend.calendar(CAL, {me: "details"}, seal_to={me: my_key})
    keys = friend.epochs[CAL][0]
    sealed = int(n * 0.8)
    for i in range(sealed):
        plain = {"type": "event.put", "uid": f"s{i}", "recurrence_id": None, "event": _event(i)}
        friend.sign(seal_event(plain, keys, author=friend.id, owner=friend.id, calendar=CAL, epoch=0))
    clear = Remote("clear")
    for i in range(n - sealed):
        clear.sign({"type": "event.put", "uid": f"p{i}", "recurrence_id": None, "event": _event(i, 2 * YEAR)})
    return _bundle(friend, clear), sealed


def same_in_the_clear(sealed: int) -> bytes:
    """The sealed events again, in the clear and a year later."""
    from devtools.calendars import Remote

    twin = Remote("twin")
    for i in range(sealed):
        twin.sign({"type": "event.put", "uid": f"t{i}", "recurrence_id": None, "event": _event(i, YEAR)})
    return _bundle(twin)


def main() -> None:
    setup_django("calendars")
    from events import log
    from events.bundle import import_bundle
    from events.calendars import state
    from events.index.fold import catch_up
    from events.index.query import query

    reference = verify_rate()
    print(f"   Ed25519 verify alone (one core): {reference:,.0f}/s")
    data, sealed = build_bundle(ENTRIES, log.my_author_id(), bytes.fromhex(state.my_public_key()))
    started = time.perf_counter()
    report = import_bundle(io.BytesIO(data))
    stored_at = time.perf_counter()
    catch_up()
    folded_at = time.perf_counter()
    stored = report.counts["stored"]
    ratio = stored / (stored_at - started) / reference
    print(f"   import, 80% sealed: {stored:,} entries, {stored / (stored_at - started):,.0f}/s = {ratio:.0%} of verify "
          f"rate (target >= 75%: {verdict(ratio >= 0.75)})")
    rate = stored / (folded_at - started)
    print(f"   import and fold into the index (the sealed events opened): {rate:,.0f}/s = {rate / reference:.0%} of "
          "verify rate (the fold of events in the clear costs about as much: it builds the same rows)")

    import_bundle(io.BytesIO(same_in_the_clear(sealed)))
    catch_up()
    zone = "Europe/Bucharest"
    clear_month = (MONTH[0] + YEAR, MONTH[1] + YEAR)
    counts = (len(query(*MONTH, zone).occurrences), len(query(*clear_month, zone).occurrences))
    for _ in range(5):  # both months' rows read and parsed once before measuring
        query(*MONTH, zone)
        query(*clear_month, zone)
    # interleaved, so that a busy moment of the machine weighs on both alike
    sealed_runs, clear_runs = [], []
    for _ in range(25):  # each a median of 21: a month asked again takes a fraction of a millisecond
        sealed_runs.append(median_time(lambda: query(*MONTH, zone), repeat=21))
        clear_runs.append(median_time(lambda: query(*clear_month, zone), repeat=21))
    sealed_time, clear_time = statistics.median(sealed_runs), statistics.median(clear_runs)
    ratio = sealed_time / clear_time
    print(f"   month query: sealed {sealed_time * 1000:.3f} ms ({counts[0]:,} occurrences), the same in the clear "
          f"{clear_time * 1000:.3f} ms ({counts[1]:,}): {ratio:.2f}x (target within 10%: {verdict(ratio <= 1.10)})")
    worked = month_from_nothing(MONTH, clear_month, zone)
    print(f"   the same months worked out from nothing (rows read and expanded, nothing kept): {worked:.2f}x")
    target("month query, sealed vs plain", f"{ratio:.2f}x (from nothing {worked:.2f}x)", "within 10%",
           ratio <= 1.10 and worked <= 1.10)


def month_from_nothing(sealed: tuple, clear: tuple, zone: str) -> float:
    """Sealed over clear, each month's answer dropped before it is asked for:
    the rows read from the index and expanded again (the work a steady query
    is spared), interleaved as above."""
    from events.index import snapshot
    from events.index.query import query

    def fresh(window: tuple) -> None:
        snapshot.forget_answers()
        query(*window, zone)

    sealed_runs, clear_runs = [], []
    for _ in range(31):
        sealed_runs.append(median_time(lambda: fresh(sealed), repeat=3))
        clear_runs.append(median_time(lambda: fresh(clear), repeat=3))
    return statistics.median(sealed_runs) / statistics.median(clear_runs)
