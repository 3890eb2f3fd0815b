"""The time zones a file's TZIDs name (RFC 5545 3.2.19, 3.6.5).

Pure module: no Django. A TZID is looked up case-insensitively and without
surrounding blanks, as the files of real clients need ("Europe/berlin",
"W. Europe Standard Time "). A zone that only the file's VTIMEZONE defines
(Outlook's "Customized Time Zone", khal's "Europe_Berlin") is matched to the
IANA zone with the same UTC offsets over SAMPLE_YEARS, so a weekly series in
it keeps its wall time across DST changes; failing that, its times are
converted to UTC.
"""

from __future__ import annotations

import bisect
import re
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

SAMPLE_YEARS = (2010, 2036)  # offsets compared weekly over these years at most (end excluded)
QUARTER = timedelta(minutes=15)
SLACK_STEPS = 12  # a change may be up to 12 quarter hours (3 hours) from the IANA zone's


def normal_tzid(tzid: object) -> str:
    """A TZID as files are matched: no blanks or quotes around it, case folded."""
    return str(tzid).strip().strip('"').strip().casefold()


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every name a TZID may be spelled as (case folded) -> the IANA zone."""
    out = {name.casefold(): name for name in available_timezones()}
    for windows, olson in WINDOWS_TO_OLSON.items():
        out.setdefault(windows.casefold(), olson)
    return out


def zone_name(tzid: str) -> str | None:
    """An IANA zone name for a TZID: itself in any case, the zone of a Windows
    name ("W. Europe Standard Time"), or the Olson tail of "/vendor/Olson/Name"."""
    names = _names()
    cleaned = normal_tzid(tzid).strip("/")
    if cleaned in names:
        return names[cleaned]
    parts = cleaned.split("/")
    for i in range(1, len(parts)):
        if (tail := "/".join(parts[i:])) in names:
            return names[tail]
    if cleaned in ("utc", "gmt", "z"):
        return "UTC"
    return None


def _offsets(zone: tzinfo, instants: list[datetime]) -> tuple:
    return tuple(at.astimezone(zone).utcoffset() for at in instants)


@lru_cache(maxsize=1)
def _candidates() -> list[str]:
    """The IANA zones a file's own zone may turn out to be."""
    out = []
    for name in sorted(available_timezones()):
        if name.startswith(("Etc/", "SystemV/", "posix/", "right/")) or "/" not in name:
            continue
        try:
            ZoneInfo(name)
        except (ValueError, OSError):  # a name the zone database lists without data
            continue
        out.append(name)
    return out


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.casefold())


def _words(tzid: str) -> set[str]:
    """"Europe_Berlin", "IndianReunion", "Western/Central Europe" -> their words."""
    return {w.casefold() for w in re.findall(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])", tzid) if len(w) > 2}


def _open_ended(component) -> bool:
    """Whether a STANDARD or DAYLIGHT rule of the VTIMEZONE repeats for ever."""
    for part in component.subcomponents:
        rule = part.get("RRULE")
        if rule is not None and not rule.get("UNTIL") and not rule.get("COUNT"):
            return True
    return False


def iana_equivalent(component, tzid: str) -> str | None:
    """The IANA zone that agrees with a VTIMEZONE over the years it speaks of
    (from its first change, or SAMPLE_YEARS' start, to its last change, or
    SAMPLE_YEARS' end when a rule repeats for ever): the same UTC offset
    every week, each change in the same night. Of several, the one whose
    changes come closest in time, then the one spelled like `tzid`, then one
    whose name shares words with it, then one a Windows zone name maps to
    (Europe/Berlin rather than Africa/Ceuta)."""
    try:
        times, info = component.get_transitions()
    except Exception:  # a definition icalendar cannot expand
        return None
    changes = [(t.replace(tzinfo=UTC), offset) for t, (offset, _, _) in zip(times, info, strict=True)]
    if not changes:
        return None
    lo = max(changes[0][0], datetime(SAMPLE_YEARS[0], 1, 1, tzinfo=UTC))
    hi = datetime(SAMPLE_YEARS[1], 1, 1, tzinfo=UTC) if _open_ended(component) else changes[-1][0] + timedelta(days=1)
    if hi <= lo:  # every change is older than the years compared: its last offset holds
        lo, hi = hi, hi + timedelta(days=366)
    starts = [t for t, _ in changes]

    def offset_at(at: datetime) -> timedelta:
        i = bisect.bisect_right(starts, at) - 1
        return changes[max(i, 0)][1]

    instants = [lo + timedelta(days=7 * n) for n in range((hi - lo).days // 7 + 1)]
    # Around each change, quarter hours up to SLACK either side: a zone that
    # changes at another hour of the same night still matches, but less well.
    near = [t + QUARTER * k for t in starts if lo < t <= hi for k in range(-SLACK_STEPS, SLACK_STEPS + 1)]
    wanted, wanted_near = [offset_at(at) for at in instants], [offset_at(at) for at in near]
    probes = instants[:: max(1, len(instants) // 8)]
    at_probes = tuple(offset_at(at) for at in probes)
    scored = []
    for name in _candidates():
        zone = ZoneInfo(name)
        if _offsets(zone, probes) != at_probes or list(_offsets(zone, instants)) != wanted:
            continue
        got = _offsets(zone, near)
        edges = [i for i in range(len(near)) if abs(i % (2 * SLACK_STEPS + 1) - SLACK_STEPS) == SLACK_STEPS]
        if any(got[i] != wanted_near[i] for i in edges):
            continue
        scored.append((sum(a != b for a, b in zip(got, wanted_near, strict=True)), name))
    if not scored:
        return None
    words, spelled = _words(tzid), _letters(tzid)
    usual = set(WINDOWS_TO_OLSON.values())  # the zone Windows names for each region

    def rank(item: tuple[int, str]) -> tuple:
        misses, name = item
        return (misses, _letters(name) != spelled, -sum(w in name.casefold() for w in words), name not in usual, name)

    return min(scored, key=rank)[1]
