"""Quick-add parser speed: parse_schedule against dateparser's search_dates.

Both run over the phrases of bench/data/phrases.jsonl in the same process; the
targets are a median per phrase under 1 ms and at most 1/20 of search_dates' median.

It also scores the parser on the held-out phrases of tests/data/nl/heldout.jsonl
(written by hand, with their expected drafts, before the parser learned them):
the share of phrases whose draft matches, overall and per family.

The phrases are the inputs (text, now, tz) of the parser's example cases in
tests/data/nl/cases.jsonl (48) and two of each family of
tests/data/nl/families.jsonl but the foreign dates (18); the benchmark needs
none of their expected results. It keeps its own copy so that its input, and
so its figures, stay the same when test cases are added or changed. The
foreign-date fallback (dateparser, only for lines the patterns find no date
in) is timed on its own, with its cache emptied before every run.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

from dateutil.rrule import rrulestr

from bench.harness import median_time
from events.schedule import parse_schedule, warm_up
from events.schedule.foreign import read_month_day

TARGET_RATIO = 1 / 20
TARGET_MEDIAN = 0.001  # seconds per phrase
REPEATS = 30
PHRASES = Path(__file__).resolve().parent / "data" / "phrases.jsonl"
HELD_OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "nl" / "heldout.jsonl"
FAMILIES = HELD_OUT.with_name("families.jsonl")


def _fold(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", " ", text.lower()).strip(" \t,.;:!?-\"'")


def _dates(rule: str, start: str) -> list[datetime]:
    return list(islice(rrulestr(rule, dtstart=datetime.fromisoformat(start)), 40))


def matches(draft: dict[str, Any] | None, expect: dict[str, Any]) -> bool:
    """The comparison of tests/data/README.md: fields equal, titles folded, rules by their dates."""
    if draft is None:
        return False
    if any(draft[key] != expect[key] for key in ("start", "end", "all_day")):
        return False
    if _fold(draft["title"]) != _fold(expect["title"]) or _fold(draft["location"]) != _fold(expect["location"]):
        return False
    if (draft["rrule"] is None) != (expect["rrule"] is None):
        return False
    return draft["rrule"] is None or _dates(draft["rrule"], expect["start"]) == _dates(expect["rrule"], expect["start"])


def score_held_out() -> tuple[int, int, dict[str, list[int]]]:
    """(right, total, {family: [right, total]}) over the held-out phrases."""
    cases = [json.loads(line) for line in HELD_OUT.read_text().splitlines() if line.strip()]
    families: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for case in cases:
        result = parse_schedule(case["text"], now=datetime.fromisoformat(case["now"]), tz=case["tz"])
        right = matches(result.draft, case["expect"])
        families[case["family"]][0] += right
        families[case["family"]][1] += 1
    right = sum(r for r, _ in families.values())
    return right, len(cases), dict(families)


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
    print(f"   median under 1 ms: {'met' if median_ours < TARGET_MEDIAN else 'NOT met'}")
    foreign = [case for case in map(json.loads, FAMILIES.read_text().splitlines()) if case["family"] == "languages"]
    fallback = []
    for case in foreign:
        now = datetime.fromisoformat(case["now"])
        text, tz = case["text"], case["tz"]

        def uncached() -> None:
            read_month_day.cache_clear()
            parse_schedule(text, now=now, tz=tz)  # noqa: B023

        fallback.append(median_time(uncached, repeat=5))
    print(f"   foreign-date fallback ({len(foreign)} phrases): median {statistics.median(fallback) * 1000:.1f} ms")
    right, total, families = score_held_out()
    print(f"   held-out accuracy: {right}/{total} = {100 * right / total:.1f}%")
    for family, (good, count) in sorted(families.items()):
        print(f"      {family:<11} {good:>3}/{count:<3} {100 * good / count:5.1f}%")
