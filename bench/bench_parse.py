"""Quick-add parser speed: parse_schedule against dateparser's search_dates.

Both run over the phrases of bench/data/phrases.jsonl in the same process; the
target is a median per phrase at most 1/20 of search_dates' median.

The phrases are the inputs (text, now, tz) of the parser's example cases in
tests/data/nl/cases.jsonl, the 48 phrases the README's figures were measured
on; the benchmark needs none of their expected results. It keeps its own
copy so that its input, and so its figures, stay the same when test cases
are added or changed.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from pathlib import Path

from bench.harness import median_time
from events.schedule import parse_schedule, warm_up

TARGET_RATIO = 1 / 20
REPEATS = 30
PHRASES = Path(__file__).resolve().parent / "data" / "phrases.jsonl"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main() -> None:
    from dateparser.search import search_dates

    cases = [json.loads(line) for line in PHRASES.read_text().splitlines() if line.strip()]
    warm_up()
    search_dates("lunch tomorrow at noon")
    ours, theirs = [], []
    for case in cases:
        now = datetime.fromisoformat(case["now"])
        text, tz = case["text"], case["tz"]
        parse_schedule(text, now=now, tz=tz)
        ours.append(median_time(lambda: parse_schedule(text, now=now, tz=tz), repeat=REPEATS))  # noqa: B023
        theirs.append(median_time(lambda: search_dates(text), repeat=3))  # noqa: B023
    median_ours = statistics.median(ours)
    median_theirs = statistics.median(theirs)
    ratio = median_ours / median_theirs
    print(f"   phrases: {len(cases)}")
    print(f"   parse_schedule: median {median_ours * 1000:.3f} ms, p95 {percentile(ours, 0.95) * 1000:.3f} ms")
    print(f"   search_dates:   median {median_theirs * 1000:.3f} ms")
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"   ratio: {ratio:.4f} (1/{1 / ratio:.0f}); target 1/20: {verdict}")
