"""Clock times for the schedule parser: "3pm", "14h30", "15 Uhr", "noon", "9-10am".

The clock fragment and its handlers are used by the pattern list in
`events.schedule_phrases`; resolving a clock to a time of day (a.m. or p.m.)
happens later, in `events.schedule_dates`.
"""

from __future__ import annotations

import re
from typing import Any

from events.schedule_words import MERIDIEM, MERIDIEM_WORDS, NOON_WORDS, PM_WORDS, Phrase


def clock(p: str) -> str:
    """A clock time with groups named p+h, p+m, p+hh (French h), p+mer, p+uhr."""
    return (
        rf"(?<![\d/:.,])(?P<{p}h>\d{{1,2}})"
        rf"(?:(?P<{p}sep>[:.])(?P<{p}m>\d{{2}})(?::\d{{2}})?|\s?(?P<{p}hh>h)(?P<{p}hm>\d{{2}})?(?![\w]))?"
        rf"(?:\s*(?P<{p}mer>{MERIDIEM})|\s*(?P<{p}uhr>uhr)(?![\w]))?"
        rf"(?:\s+(?P<{p}mw>{MERIDIEM_WORDS}))?"
    )


def clock_data(m: re.Match[str], p: str, prefixed: bool = False) -> dict[str, Any] | None:
    """The clock in match `m` (groups prefixed `p`), or None when it is only a number."""
    hour_text = m.group(p + "h")
    minute = m.group(p + "m") or m.group(p + "hm")
    mer = m.group(p + "mer")
    marker = bool(m.group(p + "hh") or m.group(p + "uhr"))
    if m.group(p + "sep") == "." and not (mer or marker or prefixed):
        return None
    words = m.group(p + "mw") or ""
    if not (minute or mer or marker or prefixed or words):
        return None
    data: dict[str, Any] = {
        "h": int(hour_text),
        "m": int(minute) if minute else 0,
        "mer": (mer[0] if mer else None),
        "literal": bool(marker or minute or hour_text.startswith("0") or int(hour_text) > 12),
        "marker": marker,
        "text": m.group(0),
    }
    if words:
        data["mer"] = "p" if any(w in words for w in PM_WORDS) else "a"
    return data


TIME_PREFIX = r"(?:(?<![\w'])(?P<pre>at|@|um|à|a\s+las?|vers|gegen|around|about|sobre\s+las?|hacia\s+las?|by)\s*)?"
RANGE_PREFIX = r"(?:(?<![\w'])(?P<pre>from|between|de|von|desde|entre|zwischen|du)\s+(?:las?\s+)?)?"
RANGE_SEP = r"\s*(?P<sep>-|–|—|to|till|til|until|through|thru|à|a|au|bis|hasta|and|y|und)\s*(?:las?\s+)?"


def time_range(m: re.Match[str]) -> Phrase | None:
    prefixed = bool(m["pre"])
    if m["sep"] in ("and", "y", "und") and m["pre"] not in ("between", "entre", "zwischen"):
        return None
    first = clock_data(m, "a", prefixed=True)
    last = clock_data(m, "b", prefixed=True)
    if first is None or last is None:
        return None
    marked = any(m[g] for g in ("asep", "ahh", "amer", "auhr", "bsep", "bhh", "bmer", "buhr"))
    bare_dash = m["sep"] in ("-", "–") and first["h"] <= 12 and last["h"] <= 12
    if not (marked or prefixed or bare_dash):
        return None
    return Phrase(m.start(), m.end(), "trange", {"first": first, "last": last, "text": m.group(0).strip()})


def time_clock(m: re.Match[str]) -> Phrase | None:
    data = clock_data(m, "t", prefixed=bool(m["pre"] or m["oclock"]))
    if data is None:
        return None
    return Phrase(m.start(), m.end(), "time", data)


def time_word(m: re.Match[str]) -> Phrase:
    hour = NOON_WORDS[re.sub(r"\s+", " ", m["w"])]
    return Phrase(m.start(), m.end(), "time", {"h": hour, "m": 0, "mer": None, "literal": True, "marker": True,
                                                "text": m.group(0)})


def daypart(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "daypart", {"part": m["dp"]})
