"""Clock times for the schedule parser: "3pm", "14h30", "15 Uhr", "noon", "9-10am".

The clock fragment and its handlers are used by the pattern list in
`events.schedule.phrases`; resolving a clock to a time of day (a.m. or p.m.)
happens later, in `events.schedule.dates`.
"""

from __future__ import annotations

import re
from typing import Any

from events.schedule.words import (
    MERIDIEM,
    MERIDIEM_WORDS,
    NOON_WORDS,
    PM_WORDS,
    Phrase,
    alternation,
)


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
        # "4:30" is as open as "4" (afternoon); "04:30", "16:30" and "16h" say which.
        "literal": bool(marker or hour_text.startswith("0") or int(hour_text) > 12),
        "marker": marker,
        "text": m.group(0),
    }
    if words:
        data["mer"] = "p" if any(w in words for w in PM_WORDS) else "a"
    return data


TIME_PREFIX = r"(?:(?<![\w'])(?P<pre>at|@|um|à|a\s+las?|vers|gegen|around|about|sobre\s+las?|hacia\s+las?|by)\s*)?"
RANGE_PREFIX = r"(?:(?<![\w'])(?P<pre>from|between|de|von|desde|entre|zwischen|du)\s+(?:las?\s+)?)?"
RANGE_SEP = r"\s*(?P<sep>-|–|—|to|till|til|until|through|thru|à|a|au|bis|hasta|and|y|und)\s*(?:las?\s+)?"


NOT_CLOCK_AFTER = re.compile(r"\s*(?:days?|weeks?|months?|years?|hours?|hrs?|minutes?|mins?|people|persons|"
                             r"guests|times|of|x)(?![\w])")


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
    # "monday 10 to 11", but not "2 to 3 days"
    bare_to = m["sep"] in ("to", "till", "until") and 1 <= first["h"] <= 12 and 1 <= last["h"] <= 12 \
        and not NOT_CLOCK_AFTER.match(m.string, m.end())
    if not (marked or prefixed or bare_dash or bare_to):
        return None
    return Phrase(m.start(), m.end(), "trange", {"first": first, "last": last, "text": m.group(0).strip()})


def time_clock(m: re.Match[str]) -> Phrase | None:
    data = clock_data(m, "t", prefixed=bool(m["pre"] or m["oclock"]))
    if data is None:
        return None
    return Phrase(m.start(), m.end(), "time", data)


def time_bare_hour(m: re.Match[str]) -> Phrase | None:
    hour = int(m["h"])
    if hour > 23:
        return None
    return Phrase(m.start(), m.end(), "time", {"h": hour, "m": 0, "mer": None, "literal": hour > 12 or m["h"][0] == "0",
                                                "marker": False, "text": m.group(0)})


def time_word(m: re.Match[str]) -> Phrase:
    hour = NOON_WORDS[re.sub(r"\s+", " ", m["w"])]
    return Phrase(m.start(), m.end(), "time", {"h": hour, "m": 0, "mer": None, "literal": True, "marker": True,
                                                "text": m.group(0)})


def daypart(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "daypart", {"part": m["dp"]})


# ---- spoken clock times: "half past 3", "quarter to five", "seven thirty", "halb drei" ----

HOUR_WORDS: dict[str, int] = {}
for _hour_value, _names in enumerate(
    [
        "one une eins una", "two deux zwei dos", "three trois drei tres", "four quatre vier cuatro",
        "five cinq fünf fuenf cinco", "six seis sechs", "seven sept sieben siete",
        "eight huit acht ocho", "nine neuf neun nueve", "ten dix zehn diez", "eleven onze elf once",
        "twelve douze zwölf zwoelf doce",
    ],
    start=1,
):
    for _name in _names.split():
        HOUR_WORDS[_name] = _hour_value

MINUTE_WORDS: dict[str, int] = {"oh five": 5, "o five": 5, "ten": 10, "fifteen": 15, "twenty": 20,
                                "thirty": 30, "forty": 40, "fifty": 50}
for _tens, _tens_value in (("twenty", 20), ("thirty", 30), ("forty", 40), ("fifty", 50)):
    for _unit_word, _unit_value in (("five", 5), ("one", 1), ("two", 2), ("three", 3), ("four", 4),
                                    ("six", 6), ("seven", 7), ("eight", 8), ("nine", 9)):
        MINUTE_WORDS[f"{_tens} {_unit_word}"] = _tens_value + _unit_value
        MINUTE_WORDS[f"{_tens}-{_unit_word}"] = _tens_value + _unit_value

# Minutes before or after the hour: "quarter past", "ten to", "20 after".
PAST_TO = {"half": 30, "quarter": 15, "a quarter": 15, "five": 5, "ten": 10, "twenty": 20,
           "twenty five": 25, "twenty-five": 25}
# The fractions of the other languages, as (minutes, hours to add): "9 y media", "halb 3" is 2:30.
FRACTIONS = {"y media": (30, 0), "y cuarto": (15, 0), "menos cuarto": (45, -1), "et demie": (30, 0),
             "et demi": (30, 0), "et quart": (15, 0), "moins le quart": (45, -1),
             "moins quart": (45, -1), "halb": (30, -1), "viertel nach": (15, 0),
             "viertel vor": (45, -1), "dreiviertel": (45, -1)}

_HOUR = rf"(?P<h>\d{{1,2}}(?![\d:.])|(?:{alternation(HOUR_WORDS)})(?![\w]))"
_END = (rf"(?P<oclock>\s*o'?clock)?(?:\s*(?P<mer>{MERIDIEM})|\s+(?P<mw>{MERIDIEM_WORDS}))?"
        r"(?![\w:])")
SPOKEN_PAST_TO = (
    rf"(?<![\w'])(?:(?P<pre>at|@|around|about|by)\s+)?(?P<amt>{alternation(PAST_TO)}|\d{{1,2}})"
    r"(?P<minutes>\s+minutes?)?\s+(?P<dir>past|after|to|till|til|before|of)\s+"
) + _HOUR + _END
SPOKEN_HOUR = (
    rf"(?<![\w'])(?:(?P<pre>at|@|around|about|by|um|à|a\s+las?|a\s+la)\s+)?"
    rf"(?P<h>{alternation(HOUR_WORDS)})(?:[\s-]+(?P<min>{alternation(MINUTE_WORDS)}))?"
    rf"(?:\s+(?:heures?|uhr|horas?))?" + _END
)
SPOKEN_FRACTION = (
    rf"(?<![\w'])(?:(?P<pre>at|@|um|à|vers|gegen|a\s+las?|a\s+la)\s+)?"
    rf"(?:(?P<before>halb|viertel\s+nach|viertel\s+vor|dreiviertel)\s+{_HOUR}"
    rf"|{_HOUR.replace('P<h>', 'P<h2>')}(?:\s*(?:h|heures?|uhr))?\s+(?P<after>y\s+media|y\s+cuarto|menos\s+cuarto|et\s+demie?|"
    r"et\s+quart|moins\s+le\s+quart|moins\s+quart))"
    rf"(?:\s+(?P<mw>{MERIDIEM_WORDS}))?(?![\w])"
)
MILITARY = (
    r"(?:(?<![\w'])(?P<pre>at|@|um|à|around|by)\s+)?"
    r"(?<![\d/:.,#])(?<!room )(?<!suite )(?<!flight )(?<!gate )(?<!bus )(?<!apt )(?<!unit )"
    r"(?<!floor )(?<!no )(?<!no\. )(?<!number )(?<!route )(?<!ext )(?<!line )(?<!code )"
    r"(?P<h>[01]\d|2[0-3])(?P<m>[0-5]\d)(?P<suffix>\s*(?:h|hrs|hours))?(?![\w/:.,-])"
)


def _hour(text: str) -> int:
    return int(text) if text.isdigit() else HOUR_WORDS[text]


def _spoken(m: re.Match[str], hour: int, minute: int) -> dict[str, Any]:
    mer = m.groupdict().get("mer")
    words = m.groupdict().get("mw") or ""
    data: dict[str, Any] = {"h": hour, "m": minute, "mer": mer[0] if mer else None,
                            "literal": hour > 12, "marker": False, "text": m.group(0).strip()}
    if words:
        data["mer"] = "p" if any(w in words for w in PM_WORDS) else "a"
    return data


def _before(hour: int) -> int:
    """The hour before `hour` on a twelve-hour dial ("quarter to 1" is 12:45)."""
    return 12 if hour == 1 else 23 if hour == 0 else hour - 1


def time_past_to(m: re.Match[str]) -> Phrase | None:
    hour = _hour(m["h"])
    amount = PAST_TO.get(re.sub(r"\s+", " ", m["amt"])) if not m["amt"].isdigit() else int(m["amt"])
    if m["amt"].isdigit() and not m["minutes"]:
        return None  # "5 to 6" is more likely a range
    if amount is None or not 0 < amount < 60 or hour > 23:
        return None
    if m["dir"] in ("past", "after"):
        data = _spoken(m, hour, amount)
    else:
        data = _spoken(m, _before(hour), 60 - amount)
    return Phrase(m.start(), m.end(), "time", data)


def time_spoken_hour(m: re.Match[str]) -> Phrase | None:
    if not (m["pre"] or m["min"] or m["oclock"] or m["mer"] or m["mw"]):
        return None
    minute = MINUTE_WORDS[re.sub(r"\s+", " ", m["min"])] if m["min"] else 0
    return Phrase(m.start(), m.end(), "time", _spoken(m, HOUR_WORDS[m["h"]], minute))


def time_fraction(m: re.Match[str]) -> Phrase | None:
    key = re.sub(r"\s+", " ", m["before"] or m["after"])
    minute, shift = FRACTIONS[key]
    hour = _hour(m["h"] or m["h2"])
    if hour > 23:
        return None
    if shift:
        hour = _before(hour)
    return Phrase(m.start(), m.end(), "time", _spoken(m, hour, minute))


def time_military(m: re.Match[str]) -> Phrase | None:
    """"1930", "at 0930", "2000 hrs": a bare 20xx could be a year, so it needs a mark."""
    if m["h"] == "20" and not (m["pre"] or m["suffix"]):
        return None
    data = {"h": int(m["h"]), "m": int(m["m"]), "mer": None, "literal": True, "marker": True,
            "text": m.group(0).strip()}
    return Phrase(m.start(), m.end(), "time", data)
