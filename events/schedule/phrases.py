"""Recognise the schedule phrases in a line of text.

`find_phrases` runs a fixed list of patterns, most specific first, over the
lower-cased text. Each match becomes a `Phrase` (its character span, a kind
and what it means) and is blanked out so later patterns cannot reuse it.
Meaning is left unresolved here: no dates are computed, no `now` is needed.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from events.schedule.clock import (
    MILITARY,
    NOT_CLOCK_AFTER,
    RANGE_PREFIX,
    RANGE_SEP,
    SPOKEN_FRACTION,
    SPOKEN_HOUR,
    SPOKEN_PAST_TO,
    TIME_PREFIX,
    clock,
    daypart,
    time_bare_hour,
    time_clock,
    time_fraction,
    time_military,
    time_past_to,
    time_range,
    time_spoken_hour,
    time_word,
)
from events.schedule.datewords import (
    NAME_TAKERS,
    date_dots,
    date_iso,
    date_month_day,
    date_month_range,
    date_month_start,
    date_nth_weekday,
    date_ordinal,
    date_period_end,
    date_relative,
    date_shifted,
    date_slash,
    date_tom,
    date_weekday,
    date_weekend,
    zone_name,
)
from events.schedule.repeats import (
    ADVERBS,
    months_in,
    rec_adverb,
    rec_business_day,
    rec_day_of_month,
    rec_every_date,
    rec_every_daypart,
    rec_every_nth_weekday,
    rec_every_unit,
    rec_every_weekday,
    rec_last_day,
    rec_nth_of_month,
    rec_nth_of_months,
    rec_nths_of_month,
    rec_plural_weekdays,
    rec_times_a_week,
    rec_weekdays,
    rec_weekends,
)
from events.schedule.words import (
    AMOUNT,
    DAY_SUFFIX,
    DAYPART,
    EVERY,
    EXCEPT_WORDS,
    HALF_WORDS,
    LIST_SEP,
    MONTH,
    MONTH_UNIT,
    NOON_WORDS,
    NTH_WORD,
    NUMBER_WORD,
    NUMBERS,
    OF,
    OTHER,
    RELATIVE_DAYS,
    UNIT,
    UNITS,
    WD,
    WD_ANY,
    WD_PLURAL,
    ZONE_NAMES,
    Phrase,
    PhraseError,
    alternation,
    unit_of,
    word,
)

BLANK = "\x00"


DATE_RANGE_SEP = r"\s*(?:-|–|—|to|through|thru|until|till|au|bis|al|a|hasta)\s*"


def _amount(text: str) -> float:
    text = text.strip()
    if text in HALF_WORDS or re.sub(r"\s+", " ", text) in HALF_WORDS:
        return 0.5
    if text in NUMBERS:
        return NUMBERS[text]
    return float(text.replace(",", "."))


# ---- durations, counts, offsets ---------------------------------------------


def _span_amount(m: re.Match[str]) -> tuple[float, str]:
    amount = _amount(m["amt"])
    unit = unit_of(m["unit"])
    if m.groupdict().get("half"):
        amount += 0.5
    extra = m.groupdict().get("amt2") or m.groupdict().get("amt3")
    if extra and unit == "hour":
        amount += int(extra) / 60
    return amount, unit


def duration(m: re.Match[str]) -> Phrase:
    amount, unit = _span_amount(m)
    return Phrase(m.start(), m.end(), "duration", {"amount": amount, "unit": unit, "text": m.group(0).strip()})


def count(m: re.Match[str]) -> Phrase:
    n = m["n"] or m["n2"] or m["n3"]
    return Phrase(m.start(), m.end(), "count", {"count": int(n) if n.isdigit() else NUMBERS[n]})


def except_months(m: re.Match[str]) -> Phrase:
    """"apart from august", "except during july and august": months a repetition skips."""
    return Phrase(m.start(), m.end(), "exmonths", {"months": months_in(m["months"])})


def offset(m: re.Match[str]) -> Phrase:
    amount, unit = _span_amount(m)
    return Phrase(m.start(), m.end(), "offset", {"amount": amount, "unit": unit})


def all_day(m: re.Match[str]) -> Phrase:
    return Phrase(m.start(), m.end(), "allday")


# ---- times -----------------------------------------------------------------------




# ---- the pattern list ------------------------------------------------------------

WD_LIST = rf"{WD_ANY}(?:{LIST_SEP}{WD_ANY})*"
# "tue-thu", "monday to wednesday", "mon-wed-fri": days joined by lists and ranges.
WD_SEQ = rf"{WD_ANY}(?:(?:\s*[-–—]\s*|\s+(?:to|thru|through|till|until)\s+|{LIST_SEP}){WD_ANY})*"
MONTH_LIST = rf"{MONTH}(?:{LIST_SEP}{MONTH})+"
# "of every third month", "of every other month", "of each month", "every 2 months".
MONTH_STEP = (rf"(?:(?:every|each|the|a|chaque|cada|jeden|jedes|le|el)\s+)?(?:(?P<step>other|second|alternate|"
              rf"third|fourth|fifth|sixth|\d{{1,2}}(?:st|nd|rd|th)?)\s+)?(?:{MONTH_UNIT}|months)")
ORD_DAY = rf"(?<!\d)(?P<d>\d{{1,2}}){DAY_SUFFIX}"
YEAR = r"(?:,?\s+(?:de\s+)?(?P<y>[1-9]\d{3})(?![\d:]))?"
NOT_TIME = r"(?!\s*(?:[:h]\d|h(?![\w])|uhr|am(?![\w])|pm(?![\w])|a\.m|p\.m|o'clock))"
UNIT_AMOUNT = (
    rf"(?P<amt>{AMOUNT})\s*-?\s*(?P<unit>{UNIT}|(?<=\d)(?:{alternation(UNITS)})(?![\w])|h(?=\d{{2}}(?![\w])))"
    r"(?:(?<=h)(?P<amt2>\d{2})(?![\w])|\s*(?:and\s+)?(?P<amt3>\d{1,2})\s*(?:minutes|mins?|m)(?![\w]))?"
    r"(?P<half>\s+(?:and\s+a\s+half|et\s+demie?|y\s+media|und\s+eine\s+halbe))?"
)
REL_WORDS = alternation(RELATIVE_DAYS)

Handler = Callable[[re.Match[str]], Phrase | None]
PATTERNS: list[tuple[str, re.Pattern[str], Handler]] = []


def pattern(group: str, regex: str, handler: Handler) -> None:
    PATTERNS.append((group, re.compile(regex), handler))


pattern("zone", rf"(?:(?<=\d)|(?<=[ap]m)|(?<=[ap]\.m\.)|(?<=uhr))\s*(?P<z>{alternation(ZONE_NAMES)})"
                r"(?:\s+time)?(?![\w])", zone_name)
pattern("allday", word(r"all[\s-]?day(?:\s+long)?|toute\s+la\s+journ[ée]e|ganzt[äa]gig|ganztags|"
                       r"den\s+ganzen\s+tag|todo\s+el\s+d[ií]a"), all_day)
# "except in december", "apart from july and august": not "except dec 25", a date.
NOT_DAY_AFTER = r"(?!\s*\d{1,2}(?:st|nd|rd|th)?(?![\d:.apmh]))"
pattern("exmonths", rf"(?<![\w'])(?:{EXCEPT_WORDS})\s+(?:(?:in|during|throughout)\s+)?"
                    rf"(?P<months>{MONTH}(?:{LIST_SEP}{MONTH})*)(?![\w]){NOT_DAY_AFTER}", except_months)
pattern("rec", rf"(?:{EVERY}\s+|(?<![\w'])on\s+)?(?:(?<![\w'])the\s+)?(?P<nth>{NTH_WORD})\s+(?P<wd>{WD_ANY})\s+"
               rf"(?:of|in)\s+(?P<months>{MONTH_LIST})(?![\w])", rec_nth_of_months)
pattern("rec", rf"(?:(?<![\w'])(?:on\s+)?the\s+|{EVERY}\s+)?(?P<nth>{NTH_WORD})\s+(?:business|working|work)\s*day\s+"
               rf"(?:of|in)\s+(?:the|every|each|a)\s+month|(?:(?<![\w'])(?:on\s+)?the\s+)?(?P<nth2>{NTH_WORD})"
               rf"\s+weekday\s+(?:of|in)\s+(?:the|every|each|a)\s+month", rec_business_day)
pattern("rec", rf"(?:(?P<every>{EVERY})\s+|(?<![\w'])on\s+)?(?:(?<![\w'])(?:the|le|la|el|am|den)\s+)?"
               rf"(?P<nths>{NTH_WORD}(?:{LIST_SEP}(?:the\s+)?{NTH_WORD})+)\s+(?P<wd>{WD_ANY})"
               rf"(?P<month>\s+{OF}\s+(?:(?:the|every|each|a|chaque|cada|jeden|jedes|le|el)\s+)?{MONTH_UNIT})?",
        rec_nths_of_month)
pattern("rec", rf"(?:{EVERY}\s+|(?<![\w'])on\s+)?(?:(?<![\w'])(?:the|le|la|el|am|den)\s+)?(?P<nth>{NTH_WORD})\s+"
               rf"(?P<wd>{WD_ANY})\s+{OF}\s+(?:(?:the|every|each|a|chaque|cada|jeden|jedes|le|el)\s+)?"
               rf"{MONTH_UNIT}", rec_nth_of_month)
pattern("rec", r"(?:(?<![\w'])(?:on\s+)?the\s+)?last\s+day\s+of\s+(?:the|every|each)\s+month", rec_last_day)
pattern("rec", rf"(?:{EVERY}\s+|(?<![\w'])on\s+)?(?:(?<![\w'])(?:the|le|el|am|den)\s+)?{ORD_DAY}\s+{OF}\s+"
               rf"{MONTH_STEP}",
        rec_day_of_month)
pattern("rec", rf"{EVERY}\s+(?:the\s+)?(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)(?![\w])"
               rf"(?!\s+(?:{UNIT}|{MONTH}|{WD_ANY}))", rec_day_of_month)
pattern("rec", word(rf"(?:(?:{EVERY}|on)\s+)?(?:weekdays|weekday|work\s?days?|business\s+days?|"
                    r"werktags|werktäglich|jours\s+ouvrables|en\s+semaine|d[ií]as\s+laborables|"
                    r"entre\s+semana|d[ií]as\s+h[áa]biles)"
                    rf"(?:\s+(?:in\s+the\s+)?(?P<dp>{DAYPART}))?"), rec_weekdays)
pattern("rec", word(rf"(?:(?:{EVERY}|on)\s+)?weekends|{EVERY}\s+(?:weekend|week-end|wochenende|"
                    r"fin\s+de\s+semana)|los\s+fines\s+de\s+semana|les\s+week-ends|wochenenden"),
        rec_weekends)
pattern("rec", word(rf"(?P<n>twice|once|thrice|\d+\s+times|(?:{NUMBER_WORD})\s+times|deux\s+fois|"
                    r"trois\s+fois|zweimal|dreimal|dos\s+veces|tres\s+veces)\s+(?:a|per|each|par|"
                    r"pro|por|la|in\s+der|a\s+la)\s+(?:week|semaine|woche|semana)"), rec_times_a_week)
pattern("rec", rf"{EVERY}\s+(?:(?P<other>{OTHER})\s+)?(?:(?P<n>\d{{1,2}})(?:st|nd|rd|th|\.)?\s+)?"
               rf"(?P<list>{WD_SEQ})(?:\s+(?:in\s+the\s+)?(?P<dp>{DAYPART}))?", rec_every_weekday)
pattern("rec", rf"{EVERY}\s+(?P<nth>{NTH_WORD})\s+(?P<wd>{WD_ANY})", rec_every_nth_weekday)
pattern("rec", rf"{EVERY}\s+(?P<dp>morning|afternoon|evening|night|matin|soir|abend|mañana|manana|tarde|noche)"
               r"(?![\w])", rec_every_daypart)
pattern("rec", rf"{EVERY}\s+(?:(?P<other>{OTHER})\s+|(?P<n>\d{{1,3}}|{NUMBER_WORD})"
               rf"(?:st|nd|rd|th|\.)?\s+)?(?P<unit>{UNIT})", rec_every_unit)
pattern("rec", rf"{EVERY}(?=\s+(?:{MONTH}\s+\d|\d{{1,2}}{DAY_SUFFIX}\s+(?:of\s+|de\s+)?{MONTH}))",
        rec_every_date)
pattern("rec", rf"(?:(?<![\w'])(?:on|les|the)\s+)?{WD_PLURAL}(?:{LIST_SEP}(?:{WD_PLURAL}|{WD}))*", rec_plural_weekdays)
pattern("rec", rf"\blos\s+{WD_LIST}", rec_plural_weekdays)
pattern("date", rf"(?<![\w'])(?P<amt>\d{{1,2}}|{NUMBER_WORD})\s+(?P<unit>days?|weeks?)\s+(?:after|from)\s+"
                rf"(?:(?P<rel>tomorrow|today|yesterday)|(?:next\s+)?(?P<wd>{WD}))(?![\w])", date_shifted)
pattern("date", rf"(?:(?<=starting\s)|(?<=beginning\s)|(?<=from\s)|(?<=starts\s)|(?<=start\s))(?:in\s+)?"
                rf"(?P<mon>{MONTH})(?:\s+(?P<y>\d{{4}}))?(?![\w]){NOT_DAY_AFTER}", date_month_start)
pattern("offset", rf"(?<![\w])(?:in|dans|en|dentro\s+de|within)\s+{UNIT_AMOUNT}", offset)
pattern("offset", rf"(?<![\w]){UNIT_AMOUNT}\s+(?:from\s+now|later)", offset)
pattern("duration", rf"(?<![\w])(?:for|pendant|pour|für|fuer|durante|por|lasting)\s+(?:the\s+(?:next|coming|following)\s+|"
                    rf"about\s+|around\s+|environ\s+|etwa\s+|unos\s+|unas\s+)?{UNIT_AMOUNT}",
        duration)
pattern("count", word(rf"(?:for\s+)?(?:a\s+total\s+of\s+)?(?P<n>\d+|{NUMBER_WORD})\s+(?:times|fois|mal|veces|sessions|"
                      r"lessons|classes|meetings|occurrences|visits|appointments|rounds|weeks?\s+running)|"
                      r"(?P<n2>\d{1,3})\s?x|x\s?(?P<n3>\d{1,3})"), count)
pattern("drange", rf"(?:(?<![\w'])(?:from|du|vom|del|desde\s+el)\s+)?(?P<mon>{MONTH})\s+(?P<d1>\d{{1,2}})"
                  rf"(?:st|nd|rd|th)?{DATE_RANGE_SEP}(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?!\d){NOT_TIME}"
                  rf"{YEAR}", date_month_range)
pattern("drange", rf"(?:(?<![\w'])(?:from|du|vom|del|desde\s+el)\s+)?(?<![\d:])(?P<d1>\d{{1,2}}){DAY_SUFFIX}"
                  rf"{DATE_RANGE_SEP}(?P<d2>\d{{1,2}}){DAY_SUFFIX}\s*(?:of\s+|de\s+)?(?P<mon>{MONTH})"
                  rf"{YEAR}", date_month_range)
pattern("date", r"(?<![\d-])(?P<y>\d{4})-(?P<mo>\d{1,2})-(?P<d>\d{1,2})(?![\d])(?:t(?=\d{1,2}:))?", date_iso)
# "1h 15m", "1hr 20 minutes", "2 hours 10 minutes": hours and minutes, never a clock time.
pattern("duration", r"(?<![\w.,:])(?P<amt>\d{1,2})\s*(?P<unit>h|hrs?|hours?)\s*(?:and\s+)?(?P<amt3>\d{1,2})\s*"
                    r"(?:m|mins?|minutes?)(?![\w])", duration)
pattern("time", SPOKEN_PAST_TO, time_past_to)
pattern("time", SPOKEN_FRACTION, time_fraction)
pattern("trange", rf"{RANGE_PREFIX}{clock('a')}{RANGE_SEP}{clock('b')}(?![\d/])", time_range)
pattern("date", rf"(?:{WD},?\s+)?(?P<mon>{MONTH})\s+(?:the\s+)?(?<!\d)(?P<d>\d{{1,2}})"
                rf"(?:st|nd|rd|th)?(?!\d){NOT_TIME}{YEAR}", date_month_day)
pattern("date", rf"(?:{WD},?\s+)?(?:(?<![\w'])(?:the|le|el|den|am)\s+)?{ORD_DAY}\s*(?:of\s+|de\s+)?"
                rf"(?P<mon>{MONTH}){YEAR}", date_month_day)
pattern("date", rf"(?<![\w'])(?:the\s+)?end\s+of\s+(?:the\s+)?(?:(?P<unit>year|month)|(?P<mon>{MONTH}))"
                rf"(?:\s+(?P<y>\d{{4}}))?(?![\w])", date_period_end)
pattern("date", rf"(?:(?<=until\s)|(?<=till\s)|(?<=through\s)|(?<=thru\s)|(?<=bis\s)|(?<=hasta\s)|"
                rf"(?<=jusqu'en\s))(?P<mon>{MONTH})(?:\s+(?P<y>\d{{4}}))?(?![\w])(?P<unit>)", date_period_end)
pattern("date", r"(?<![\d/.])(?P<a>\d{1,2})/(?P<b>\d{1,2})(?:/(?P<y>\d{4}|\d{2}))?(?![\d/])", date_slash)
pattern("date", r"(?<![\d/.:])(?P<a>\d{1,2})\.(?P<b>\d{1,2})\.(?:(?P<y>\d{4}|\d{2})(?!\d))?", date_dots)
pattern("date", rf"(?<![\w'])(?<!la )(?P<rel>{REL_WORDS})(?![\w'])(?:\s+(?:in\s+the\s+|por\s+la\s+|en\s+la\s+|"
                rf"am\s+)?(?P<dp>{DAYPART}))?", date_relative)
pattern("date", r"(?<=[\w.,]\s)" + "".join(f"(?<!{re.escape(w)} )" for w in NAME_TAKERS)
        + r"(?P<rel>tom)(?=\s*$|\s+(?:at\s+|@\s*)?\d|\s+(?:morning|afternoon|evening|night|noon)(?![\w]))",
        date_tom)
pattern("date", word(r"(?P<mod>this|next|this\s+coming|coming|ce|le|am|nächstes|naechstes|dieses|"
                     r"el\s+pr[óo]ximo|este|pr[óo]ximo)?\s*(?:weekend|week-end|wochenende|"
                     r"fin\s+de\s+semana)"), date_weekend)
pattern("date", rf"(?:(?<![\w'])(?:the|le|el|am|den)\s+)?(?P<nth>{NTH_WORD})\s+(?P<wd>{WD_ANY})"
                rf"(?:\s+(?:of|in|du|de|en|im)\s+(?P<mon>{MONTH}){YEAR})?", date_nth_weekday)
pattern("date", rf"(?:(?<![\w'])(?P<mod>this\s+coming|next\s+week|n[äa]e?chste\s+woche|this|next|coming|nächsten|nächster|nächste|naechsten|"
                rf"kommenden|kommender|diesen|dieser|ce|cette|el\s+pr[óo]ximo|pr[óo]ximo|este)\s+)?"
                rf"(?P<wd>{WD})(?:\s+(?P<post>prochain|prochaine|qui\s+vient|que\s+viene|pr[óo]ximo|after\s+next|"
                rf"next\s+week|(?:of|in)\s+(?:the\s+)?(?:following|next)\s+week))?(?:\s+(?:in\s+the\s+|por\s+la\s+|en\s+la\s+|am\s+)?(?P<dp>{DAYPART}))?",
        date_weekday)
pattern("date", r"(?:(?<![\w'])(?:on\s+)?the\s+)?(?<![\d.:/])(?P<d>\d{1,2})(?:st|nd|rd|th)(?![\w])", date_ordinal)
pattern("date", rf"(?<![\w])(?:le|el|am|den)\s+(?P<d>\d{{1,2}})(?:er|\.|º)?(?![\d.:/]){NOT_TIME}"
                r"(?!\s*(?:de\s+la|du|in\s+the))", date_ordinal)
pattern("time", word(rf"(?P<w>{alternation(NOON_WORDS)})"), time_word)
pattern("time", rf"{TIME_PREFIX}{clock('t')}(?P<oclock>\s*o'?clock)?(?![\d/])"
                r"(?:\s*(?:-|–|—|to|till|til|until)\s*late(?![\w]))?", time_clock)
pattern("time", SPOKEN_HOUR, time_spoken_hour)
pattern("time", MILITARY, time_military)
# "supper next sun 7", "yoga wednesday 7": a bare hour right after a day is its time.
pattern("time", rf"(?<={BLANK}\s)(?P<h>\d{{1,2}})(?![\w:/.,'-])(?!{NOT_CLOCK_AFTER.pattern})", time_bare_hour)
pattern("duration", r"(?<![\w.,:])(?P<amt>\d+(?:[.,]\d+)?)\s*(?P<unit>hours?|hrs?|h|minutes?|mins?|"
                    r"stunden?|std|heures?|horas?|minuten|minutos)(?:(?<=h)(?P<amt2>\d{2}))?(?![\w])",
        duration)
pattern("daypart", rf"(?:(?<![\w'])(?:in\s+the|this|at|du|de\s+la|por\s+la|en\s+la|le|am|la)\s+)(?P<dp>{DAYPART})",
        daypart)
pattern("daypart", word(r"(?P<dp>abends|nachmittags|morgens|vormittags|nachts)"), daypart)
pattern("adverb", word(rf"(?P<adv>{alternation(ADVERBS)})"), rec_adverb)


def vague(m: re.Match[str]) -> Phrase:
    raise PhraseError(f'"{m.group(0).strip()}" is not a day: please name the day, '
                      'for example "next monday" or "dec 5"', m.start(), m.end())


pattern("vague", word(r"(?:next|this|coming)\s+(?:week|month|year)|later\s+(?:this|next)\s+(?:week|month)|"
                      r"(?:la\s+)?semaine\s+prochaine|(?:le\s+)?mois\s+prochain|n[äa]e?chste\s+woche|"
                      r"n[äa]e?chsten\s+monat|(?:la\s+)?pr[óo]xima\s+semana|(?:la\s+)?semana\s+que\s+viene|"
                      r"(?:el\s+)?pr[óo]ximo\s+mes"), vague)


EXCEPTED = re.compile(rf"(?<![\w'])(?:{EXCEPT_WORDS})\s*(?:on\s+|the\s+)?$")


def find_phrases(low: str) -> list[Phrase]:
    """Every schedule phrase in `low` (lower-cased text), in text order."""
    work = low
    found: list[Phrase] = []
    for group, regex, handler in PATTERNS:
        if group == "adverb" and any(p.kind == "rec" and not p.data.get("weak")
                                     and not EXCEPTED.search(low, 0, p.start) for p in found):
            continue
        for m in regex.finditer(work):
            if not m.group(0).strip():
                continue
            phrase = handler(m)
            if phrase is None:
                continue
            found.append(phrase)
            work = work[: m.start()] + BLANK * (m.end() - m.start()) + work[m.end():]
    found.sort(key=lambda p: p.start)
    return found
