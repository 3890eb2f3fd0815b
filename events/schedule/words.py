"""The words of the schedule language: English, French, German and Spanish.

Tables map each spelling to its meaning; the regular-expression fragments
built from them are shared by the phrase patterns in `events.schedule.phrases`.
All patterns work on lower-cased text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

WEEKDAYS: dict[str, int] = {}
for _index, _names in enumerate(
    [
        "monday mon lundi montag lunes",
        "tuesday tue tues mardi dienstag martes",
        "wednesday wed mercredi mittwoch miércoles miercoles",
        "thursday thu thur thurs jeudi donnerstag jueves",
        "friday fri vendredi freitag viernes",
        "saturday sat samedi samstag sonnabend sábado sabado",
        "sunday sun dimanche sonntag domingo",
    ]
):
    for _name in _names.split():
        WEEKDAYS[_name] = _index

# Plural or adverbial forms that mean "every such day" on their own.
WEEKDAY_PLURALS: dict[str, int] = {}
for _index, _names in enumerate(
    [
        "mondays lundis montags",
        "tuesdays mardis dienstags",
        "wednesdays mercredis mittwochs",
        "thursdays jeudis donnerstags",
        "fridays vendredis freitags",
        "saturdays samedis samstags sábados sabados",
        "sundays dimanches sonntags domingos",
    ]
):
    for _name in _names.split():
        WEEKDAY_PLURALS[_name] = _index

ALL_WEEKDAYS = {**WEEKDAYS, **WEEKDAY_PLURALS}

MONTHS: dict[str, int] = {}
for _index, _names in enumerate(
    [
        "january jan janvier janv januar jänner jaenner enero ene",
        "february feb février fevrier févr fevr februar febrero",
        "march mar mars märz maerz marz marzo",
        "april apr avril avr abril",
        "may mai mayo",
        "june jun juin juni junio",
        "july jul juillet juil juli julio",
        "august aug août aout agosto",
        "september sep sept septembre septiembre setiembre",
        "october oct octobre oktober okt octubre",
        "november nov novembre noviembre",
        "december dec décembre decembre dezember dez diciembre dic",
    ],
    start=1,
):
    for _name in _names.split():
        MONTHS[_name] = _index

NUMBERS: dict[str, int] = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "twenty-five": 25, "thirty": 30, "forty": 40, "fifty": 50,
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "huit": 8,
    "neuf": 9, "dix": 10, "onze": 11, "douze": 12,
    "ein": 1, "eine": 1, "einen": 1, "einer": 1, "einem": 1, "zwei": 2, "drei": 3,
    "vier": 4, "fünf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "zwölf": 12,
    "uno": 1, "una": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "doce": 12,
}
HALF_WORDS = ("half an", "half a", "une demi", "demi", "eine halbe", "einer halben", "media")

UNITS: dict[str, str] = {}
for _unit, _names in {
    "minute": "minutes minute mins min m minuten minutos minuto",
    "hour": "hours hour hrs hr h heures heure stunden stunde std horas hora",
    "day": "days day jours jour tage tagen tag días dias día dia",
    "week": "weeks week wks wk semaines semaine wochen woche semanas semana",
    "month": "months month mois monate monaten monat meses mes",
    "year": "years year yrs ans an années annees année annee jahre jahren jahr años anos año",
}.items():
    for _name in _names.split():
        UNITS[_name] = _unit

NTH: dict[str, int] = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4,
    "4th": 4, "fifth": 5, "5th": 5, "last": -1, "final": -1, "penultimate": -2,
    "second to last": -2, "second-to-last": -2, "next to last": -2, "last but one": -2,
    "third to last": -3, "third-to-last": -3, "fourth to last": -4,
    "premier": 1, "première": 1, "premiere": 1, "deuxième": 2, "deuxieme": 2,
    "troisième": 3, "troisieme": 3, "quatrième": 4, "quatrieme": 4, "cinquième": 5,
    "dernier": -1, "dernière": -1, "derniere": -1,
    "erste": 1, "ersten": 1, "erster": 1, "zweite": 2, "zweiten": 2, "dritte": 3,
    "dritten": 3, "vierte": 4, "vierten": 4, "fünften": 5, "letzte": -1, "letzten": -1,
    "primer": 1, "primero": 1, "primera": 1, "segundo": 2, "segunda": 2, "tercer": 3,
    "tercero": 3, "tercera": 3, "cuarto": 4, "cuarta": 4, "quinto": 5, "último": -1,
    "ultimo": -1, "última": -1, "ultima": -1,
}

# Today plus n days; "evening" marks the words that also say it is evening.
RELATIVE_DAYS: dict[str, tuple[int, str | None]] = {
    "yesterday": (-1, None), "day before yesterday": (-2, None), "the day before yesterday": (-2, None),
    "last night": (-1, "evening"), "yesterday night": (-1, "evening"), "hier": (-1, None),
    "avant-hier": (-2, None), "gestern": (-1, None), "vorgestern": (-2, None), "ayer": (-1, None),
    "anteayer": (-2, None),
    "today": (0, None), "tonight": (0, "evening"), "tomorrow": (1, None), "tmrw": (1, None),
    "tmr": (1, None), "tomorrow night": (1, "evening"), "day after tomorrow": (2, None),
    "the day after tomorrow": (2, None), "overmorrow": (2, None),
    "aujourd'hui": (0, None), "ce soir": (0, "evening"), "demain": (1, None),
    "demain soir": (1, "evening"), "après-demain": (2, None), "apres-demain": (2, None),
    "après demain": (2, None),
    "heute": (0, None), "heute abend": (0, "evening"), "heute nacht": (0, "evening"),
    "morgen": (1, None), "morgen abend": (1, "evening"), "übermorgen": (2, None),
    "uebermorgen": (2, None),
    "hoy": (0, None), "esta noche": (0, "evening"), "mañana": (1, None), "manana": (1, None),
    "pasado mañana": (2, None), "pasado manana": (2, None),
    "mañana por la mañana": (1, "morning"), "manana por la manana": (1, "morning"),
    "esta mañana": (0, "morning"), "esta manana": (0, "morning"), "esta tarde": (0, "tarde"),
    "this morning": (0, "morning"), "this afternoon": (0, "afternoon"), "this evening": (0, "evening"),
    "ce matin": (0, "matin"), "cet après-midi": (0, "après-midi"), "cet apres-midi": (0, "apres-midi"),
    "heute morgen": (0, "morning"), "heute nachmittag": (0, "nachmittag"),
}

# Parts of the day: their default hour and whether a bare hour in them is p.m.
DAYPARTS: dict[str, tuple[int, bool]] = {}
for _part, _names in {
    (9, False): "morning matin morgens vormittag vormittags früh frueh",
    (15, True): "afternoon après-midi apres-midi nachmittag nachmittags tarde",
    (19, True): "evening soir soirée soiree abend abends",
    (20, True): "night nuit nacht nachts noche",
}.items():
    for _name in _names.split():
        DAYPARTS[_name] = _part

NOON_WORDS = {"noon": 12, "midday": 12, "12 noon": 12, "midi": 12, "mittag": 12, "mittags": 12,
              "mediodía": 12, "mediodia": 12, "midnight": 0, "minuit": 0, "mitternacht": 0,
              "medianoche": 0, "eod": 17, "end of day": 17, "end of the day": 17, "cob": 17,
              "close of business": 17}

# Words that introduce a date or time and belong to it when it follows.
CONNECTORS = (
    "on at from the le la les l' à au aux am um el los las a las a la de del du dès des "
    "vom von ab starting beginning between entre zwischen by den ce cette este"
).split()


# Words that leave something out of a repetition: "every day but saturdays", "daily apart from august".
EXCEPT_WORDS = (
    r"except(?:\s+for)?|excluding|but\s+not(?:\s+on)?|not\s+on|but|apart\s+from|other\s+than|aside\s+from|"
    r"skipping|skip|sauf|excepté|hormis|außer|ausser|nicht\s+am|excepto|salvo|menos"
)


def nth_of(text: str) -> int:
    """The position ("third to last" is -3) an ordinal word names."""
    return NTH[re.sub(r"\s+", " ", text)]


def unit_of(text: str) -> str:
    """The unit ("hour", "week"...) a spelling such as "hrs" or "semaines" names."""
    return UNITS[re.sub(r"\s+", " ", text)]


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words`, longest first, whitespace flexible."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in ordered)


def word(pattern: str) -> str:
    """`pattern` as a whole word (the text around it is not a letter or digit)."""
    return rf"(?<![\w'])(?:{pattern})(?![\w])"


WD = word(alternation(WEEKDAYS)) + r"\.?"
WD_PLURAL = word(alternation(WEEKDAY_PLURALS))
WD_ANY = word(alternation(ALL_WEEKDAYS)) + r"\.?"
MONTH = word(alternation(MONTHS)) + r"\.?"
NUMBER_WORD = alternation(NUMBERS)
AMOUNT = rf"(?:\d+(?:[.,]\d+)?|{alternation(HALF_WORDS)}|{NUMBER_WORD})"
UNIT = word(alternation(UNITS))
NTH_WORD = word(alternation(NTH))
DAYPART = word(alternation(DAYPARTS))
LIST_SEP = r"(?:\s*[,/&+]\s*(?:(?:and|et|und|y)\s+)?|\s+(?:and|et|und|y|or|ou|oder|o)\s+|\s+)"
EVERY = word(
    r"every|each|tous\s+les|toutes\s+les|chaque|jeden|jede|jedes|jeder|alle|todos\s+los|"
    r"todas\s+las|cada"
)
OTHER = word(r"other|second|alternate|zweiten|zweite|autre|otro|otra")
MONTH_UNIT = word(r"month|mois|monat|monats|mes")
OF = word(r"of|du|de|des|im|in|del")
DAY_SUFFIX = r"(?:st|nd|rd|th|er|e|\.|º)?"
MERIDIEM = r"(?:a\.\s?m\.?|p\.\s?m\.?|am|pm|(?<=\d)[ap](?![\w'.]))(?![\w])"
MERIDIEM_WORDS = (
    r"in\s+the\s+morning|in\s+the\s+afternoon|in\s+the\s+evening|at\s+night|du\s+matin|"
    r"du\s+soir|de\s+l'après-midi|de\s+l'apres-midi|de\s+la\s+mañana|de\s+la\s+manana|"
    r"de\s+la\s+tarde|de\s+la\s+noche|abends|nachmittags|morgens|vormittags|früh|nachts"
)
PM_WORDS = ("afternoon", "evening", "night", "soir", "après", "apres", "tarde", "noche",
            "abends", "nachmittags", "nachts")


class PhraseError(ValueError):
    """A phrase was recognised but is impossible ("feb 30", "25:00")."""

    def __init__(self, message: str, start: int, end: int) -> None:
        super().__init__(message)
        self.start = start
        self.end = end


@dataclass
class Phrase:
    start: int
    end: int
    kind: str  # rec, date, time, trange, drange, duration, count, allday, offset, daypart
    data: dict[str, Any] = field(default_factory=dict)

# Zone names said after a time ("3pm EST"): the time is read in that zone.
ZONE_NAMES = {
    "est": "America/New_York", "edt": "America/New_York", "et": "America/New_York",
    "eastern": "America/New_York", "cst": "America/Chicago", "cdt": "America/Chicago",
    "ct": "America/Chicago", "central": "America/Chicago", "mst": "America/Denver",
    "mdt": "America/Denver", "mt": "America/Denver", "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles", "pt": "America/Los_Angeles", "pacific": "America/Los_Angeles",
    "gmt": "UTC", "utc": "UTC", "bst": "Europe/London", "cet": "Europe/Paris", "cest": "Europe/Paris",
    "mez": "Europe/Berlin", "mesz": "Europe/Berlin", "ist": "Asia/Kolkata", "jst": "Asia/Tokyo",
    "aest": "Australia/Sydney", "aedt": "Australia/Sydney",
}
