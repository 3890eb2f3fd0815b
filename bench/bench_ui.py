"""The month view's server time and size.

1. 10,000 single and 1,000 recurring events: median time to render the month
   view (Django test Client, logged-in owner) beside the median time of the
   index query alone for the same month. Target: rendering adds at most 3x
   the query time.
2. A month with 200 visible occurrences: bytes the page transfers (HTML plus
   its stylesheet and script; no other requests). Target: under 100 KB.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
import time
from datetime import date, datetime, timedelta

from bench.harness import median_time, setup_django, verdict

MONTH = date(2026, 6, 1)
ZONES = ["UTC", "Europe/Bucharest", "America/New_York", "Asia/Tokyo"]
RULES = ["FREQ=WEEKLY;BYDAY=TU", "FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=MONTHLY", "FREQ=DAILY;COUNT=400",
         "FREQ=YEARLY", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH"]


def _event(rng: random.Random, start: datetime, *, rrule: str | None = None) -> dict:
    end = start + timedelta(minutes=rng.choice([30, 60, 90]))
    return {
        "title": f"event {rng.randrange(10**6)}",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "all_day": False,
        "tz": rng.choice(ZONES),
        "rrule": rrule,
        "exdates": [],
        "location": rng.choice([None, "office", "Luigi's"]),
        "description": None,
    }


def fill(singles: int, recurring: int, *, seed: int = 7, single_days: int = 365, first_day: date = date(2026, 1, 1)) -> None:
    from events import log
    from events.index.fold import catch_up

    rng = random.Random(seed)
    base = datetime(first_day.year, first_day.month, first_day.day, 8)
    for i in range(singles):
        start = base + timedelta(days=rng.randrange(single_days), minutes=15 * rng.randrange(40))
        log.append_local({"type": "event.put", "uid": f"s{i}@bench", "recurrence_id": None, "event": _event(rng, start)})
    for i in range(recurring):
        start = datetime(2025, 1, 1, 8) + timedelta(days=rng.randrange(500), minutes=15 * rng.randrange(40))
        body = {"type": "event.put", "uid": f"r{i}@bench", "recurrence_id": None,
                "event": _event(rng, start, rrule=rng.choice(RULES))}
        log.append_local(body)
    catch_up()


def owner_client():
    from django.contrib.auth import get_user_model
    from django.test import Client

    user = get_user_model().objects.filter(username="owner").first() or get_user_model().objects.create_user(
        "owner", password="bench password")
    client = Client()
    client.force_login(user)
    return client


def page_bytes(client, url: str) -> tuple[int, int, list[str]]:
    """HTML bytes, bytes of the same-origin assets it loads, and any external URLs."""
    from django.contrib.staticfiles import finders

    html = client.get(url).content
    text = html.decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', text)
    external = re.findall(r'(?:src|href)="((?:https?:)?//[^"]+)"', text)
    size = 0
    for asset in assets:
        path = finders.find(asset.removeprefix("/static/"))
        size += len(open(path, "rb").read()) if path else 0
    return len(html), size, external


def main() -> None:
    setup_django("ui")
    from django.conf import settings

    from events.index.query import query
    from events.index.snapshot import forget_answers
    from events.preferences import set_viewer_tz

    settings.ALLOWED_HOSTS = ["*"]
    set_viewer_tz("Europe/Bucharest")
    started = time.perf_counter()
    fill(10_000, 1_000)
    print(f"   stored 10,000 single + 1,000 recurring events in {time.perf_counter() - started:.1f} s")
    client = owner_client()
    url = f"/?d={MONTH.isoformat()}"
    first, last = date(2026, 5, 25), date(2026, 7, 6)  # the grid's weeks around June 2026

    # Both work the month out from the index rows (a month asked for again is
    # answered from what the previous query kept, which leaves nothing to compare).
    def render():
        forget_answers()
        response = client.get(url)
        assert response.status_code == 200

    count = len(query(first, last, "Europe/Bucharest").occurrences)
    render()
    query_time = median_time(lambda: (forget_answers(), query(first, last, "Europe/Bucharest")), repeat=9)
    page = median_time(render, repeat=9)
    added = page - query_time
    print(f"   month view, {count} occurrences in the grid's range: page {page * 1000:.1f} ms, "
          f"index query alone {query_time * 1000:.1f} ms")
    print(f"   rendering adds {added * 1000:.1f} ms = {added / query_time:.2f}x the query (target <= 3x): "
          f"{verdict(added <= 3 * query_time)}")

    # A fresh instance in a fresh process (settings read DATA_DIR once):
    # one month with 200 occurrences.
    subprocess.run([sys.executable, "-c", "from bench.bench_ui import bytes_main; bytes_main()"], check=True)


def bytes_main() -> None:
    setup_django("ui-bytes")
    from django.conf import settings

    from events.index.query import query
    from events.views import calendar as views_calendar

    settings.ALLOWED_HOSTS = ["*"]
    views_calendar.MAX_CHIPS_PER_DAY = 10_000  # every occurrence visible, however full a day
    fill(200, 0, single_days=30, first_day=MONTH)
    client = owner_client()
    url = f"/?d={MONTH.isoformat()}"
    html = client.get(url).content.decode()
    visible = html.count('class="chip')
    total = len(query(MONTH, date(2026, 7, 1), "UTC").occurrences)
    html_size, assets, external = page_bytes(client, url)
    size = html_size + assets
    print(f"   month with {total} occurrences ({visible} chips visible): HTML {html_size / 1024:.1f} KB + "
          f"CSS/JS {assets / 1024:.1f} KB = {size / 1024:.1f} KB (target < 100 KB): {verdict(size < 100 * 1024)}")
    print(f"   external requests: {len(external)} (target 0): {verdict(not external)}")


if __name__ == "__main__":
    main()
