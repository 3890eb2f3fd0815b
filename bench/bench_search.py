"""Search (events/index/search.py) on 5,000 single and 500 recurring events:

1. What the search table costs a rebuild of the index (it is dropped, then
   filled at once), against a rebuild without it (reference). Target: at most 1.5x.
2. A search for a common word, against the month view's index query over the
   same data, worked out from the index rows as the first view of a month is
   (reference; a month asked for again is answered from what was kept).
   Target: at most the query's time.
"""

from __future__ import annotations

from datetime import date

from bench.bench_ui import fill
from bench.harness import median_time, setup_django, verdict


def main() -> None:
    setup_django("search")
    from events import clock
    from events.index import search
    from events.index.fold import rebuild
    from events.index.query import query
    from events.index.snapshot import forget_answers

    fill(5000, 500)

    def rebuild_without_search():
        fill_table = search.fill_table
        search.fill_table = lambda: None
        try:
            rebuild()
        finally:
            search.fill_table = fill_table

    plain = median_time(rebuild_without_search, repeat=3)
    with_table = median_time(rebuild, repeat=3)
    print(f"   rebuild: {plain * 1000:.0f} ms without the search table, {with_table * 1000:.0f} ms with it "
          f"= {with_table / plain:.2f}x (target <= 1.5x): {verdict(with_table <= 1.5 * plain)}")
    now = clock.now("UTC")
    found = search.search("office", now=now, tz="UTC")
    searching = median_time(lambda: search.search("office", now=now, tz="UTC"))
    month = median_time(lambda: (forget_answers(), query(date(2026, 3, 1), date(2026, 4, 1), "UTC")))
    print(f"   search 'office' ({len(found.upcoming)} upcoming, {len(found.past)} past): {searching * 1000:.1f} ms; "
          f"month query {month * 1000:.1f} ms = {searching / month:.2f}x (target <= 1x): {verdict(searching <= month)}")
