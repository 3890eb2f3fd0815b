"""Calendars with sealed events (docs/PROTOCOL.md section 6).

    python -m bench calendars        (BENCH_CAL_ENTRIES=100000 by default)

Prints, beside references measured in the same run:
- a bundle of entries, 80% of them events sealed for a calendar shared with
  this instance, imported and folded into the index (opened on the way):
  rate as a share of one core verifying Ed25519 signatures (target >= 75%);
- the month query on a calendar of sealed events against the same events
  in the clear a year later (target: within 10%).
"""

from __future__ import annotations

import io
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import median_time, setup_django, verdict, verify_rate  # noqa: E402

ENTRIES = int(os.environ.get("BENCH_CAL_ENTRIES", "100000"))
CAL = "0123456789abcdef0123456789abcdef"
SEALED_MONTH = date(2026, 12, 1)
PLAIN_SHIFT = timedelta(days=364)  # a year later, on the same weekdays


def _event(i: int, shift: timedelta = timedelta(0)) -> dict:
    rnd = random.Random(i)
    day = SEALED_MONTH + timedelta(days=rnd.randrange(0, 31)) + shift
    hour = rnd.randrange(7, 20)
    return {"title": f"meeting {i}", "start": f"{day}T{hour:02}:00:00", "end": f"{day}T{hour:02}:45:00",
            "all_day": False, "tz": "Europe/Bucharest", "rrule": None, "exdates": [], "location": "room 4",
            "description": None}


def build_bundle(n: int, me: str, my_key: bytes) -> tuple[bytes, int]:
    """(the bundle, how many events each calendar got): 80% sealed events in
    a friend's calendar shared with us, 20% the same kind of events in the clear."""
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
        clear.sign({"type": "event.put", "uid": f"p{i}", "recurrence_id": None, "event": _event(i, PLAIN_SHIFT)})
    lines = [e.raw for e in friend.entries + clear.entries]
    return b"\n".join(lines) + b"\n", n - sealed


def main() -> None:
    setup_django("calendars")
    from events import log
    from events.bundle import import_bundle
    from events.calendars import state
    from events.index.fold import catch_up
    from events.index.query import query

    reference = verify_rate()
    print(f"   Ed25519 verify alone (one core): {reference:,.0f}/s")
    data, _ = build_bundle(ENTRIES, log.my_author_id(), bytes.fromhex(state.my_public_key()))
    started = time.perf_counter()
    report = import_bundle(io.BytesIO(data))
    catch_up()
    elapsed = time.perf_counter() - started
    stored = report.counts["stored"]
    rate = stored / elapsed
    ratio = rate / reference
    print(f"   import and fold, 80% sealed: {stored:,} entries, {rate:,.0f}/s = {ratio:.0%} of verify rate "
          f"(target >= 75%: {verdict(ratio >= 0.75)})")

    # The same number of events in each month: the sealed calendar's, and a year later in the clear.
    sealed_month = (SEALED_MONTH, SEALED_MONTH + timedelta(days=31))
    plain_month = (SEALED_MONTH + PLAIN_SHIFT, SEALED_MONTH + PLAIN_SHIFT + timedelta(days=31))
    sealed_count = sum(1 for o in query(*sealed_month, "Europe/Bucharest").occurrences if o.calendar)
    plain_count = len(query(*plain_month, "Europe/Bucharest").occurrences)
    # as many of each: compare per occurrence
    sealed_time = median_time(lambda: query(*sealed_month, "Europe/Bucharest"), repeat=9) / max(sealed_count, 1)
    plain_time = median_time(lambda: query(*plain_month, "Europe/Bucharest"), repeat=9) / max(plain_count, 1)
    ratio = sealed_time / plain_time
    print(f"   month query: sealed {sealed_time * 1e6:.1f} µs per occurrence ({sealed_count:,}), in the clear "
          f"{plain_time * 1e6:.1f} µs ({plain_count:,}): {ratio:.2f}x (target within 10%: {verdict(ratio <= 1.10)})")
