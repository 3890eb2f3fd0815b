"""The quick-add parser (events.schedule): pure tables, no database."""

import json
import re
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pytest
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from events.schedule import ParseResult, Span, parse_schedule

CASES = Path(__file__).resolve().parent / "data" / "nl" / "cases.jsonl"
NOW = datetime(2026, 11, 21, 9, 0)  # a Saturday
BUCHAREST = "Europe/Bucharest"


def load_cases() -> list[dict]:
    cases = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    assert cases, f"no cases in {CASES}"
    return cases


def fold(text: str | None, *, article: bool = False) -> str | None:
    if text is None:
        return None
    text = re.sub(r"\s+", " ", text.lower()).strip(" \t,.;:!?-\"'")
    if article:
        text = re.sub(r"^(the|a|an|le|la|l'|les|der|die|das|el|los|las) ", "", text)
    return text


def occurrences(rule: str, start: str, n: int = 60) -> list[datetime]:
    return list(islice(rrulestr(rule, dtstart=datetime.fromisoformat(start)), n))


def assert_matches(result: ParseResult, expect: dict) -> None:
    """Compare as tests/data/README.md says."""
    if expect.get("error"):
        assert result.draft is None and result.error, result
        return
    assert result.error is None, result.error
    draft = result.draft
    assert set(draft) == {"title", "start", "end", "all_day", "tz", "rrule", "location", "exdates"}
    omit = set(expect.get("omit", []))
    for key in ("start", "all_day"):
        if key not in omit:
            assert draft[key] == expect[key], (key, draft)
    if "end" not in omit and expect.get("end") is not None:
        assert draft["end"] == expect["end"], draft
    if "title" not in omit:
        assert fold(draft["title"]) == fold(expect["title"]), draft
    if "location" not in omit:
        assert fold(draft["location"], article=True) == fold(expect["location"], article=True), draft
    if "rrule" not in omit:
        if expect["rrule"] is None:
            assert draft["rrule"] is None, draft
        else:
            assert draft["rrule"], draft
            assert occurrences(draft["rrule"], expect["start"]) == occurrences(expect["rrule"], expect["start"])
    if "exdates" in expect:
        assert draft["exdates"] == expect["exdates"]
    if "tz" in expect:
        assert draft["tz"] == expect["tz"]


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c["id"])
def test_it_parses_the_example_phrases(case):
    result = parse_schedule(case["text"], now=datetime.fromisoformat(case["now"]), tz=case["tz"])
    assert_matches(result, case["expect"])


def timed(title, start, end, rrule=None, location=None, **more):
    return {"title": title, "start": start, "end": end, "all_day": False, "rrule": rrule,
            "location": location, **more}


def allday(title, start, end, rrule=None, location=None, **more):
    return {"title": title, "start": start, "end": end, "all_day": True, "rrule": rrule,
            "location": location, **more}


OWN_CASES = [
    # single dates and times, absolute and relative
    ("dentist dec 5 at 14:30", timed("dentist", "2026-12-05T14:30:00", "2026-12-05T15:30:00")),
    ("next friday 9am", timed("", "2026-11-27T09:00:00", "2026-11-27T10:00:00")),
    ("call bob in 3 days", allday("call bob", "2026-11-24", "2026-11-25")),
    ("pay rent on the 1st", allday("pay rent", "2026-12-01", "2026-12-02")),
    ("party on the 21st", allday("party", "2026-11-21", "2026-11-22")),
    ("dinner tonight", timed("dinner", "2026-11-21T19:00:00", "2026-11-21T20:00:00")),
    ("hike this weekend", allday("hike", "2026-11-21", "2026-11-23")),
    ("hike next weekend", allday("hike", "2026-11-28", "2026-11-30")),
    ("lunch noon", timed("lunch", "2026-11-21T12:00:00", "2026-11-21T13:00:00")),
    ("deploy at midnight", timed("deploy", "2026-11-22T00:00:00", "2026-11-22T01:00:00")),
    ("coffee at 8", timed("coffee", "2026-11-22T08:00:00", "2026-11-22T09:00:00")),
    ("tea at 3", timed("tea", "2026-11-21T15:00:00", "2026-11-21T16:00:00")),
    ("breakfast 7:30am tomorrow", timed("breakfast", "2026-11-22T07:30:00", "2026-11-22T08:30:00")),
    ("call 12am sunday", timed("call", "2026-11-22T00:00:00", "2026-11-22T01:00:00")),
    ("call 12pm sunday", timed("call", "2026-11-22T12:00:00", "2026-11-22T13:00:00")),
    ("meeting 17:45 monday", timed("meeting", "2026-11-23T17:45:00", "2026-11-23T18:45:00")),
    ("jan 3 kickoff", allday("kickoff", "2027-01-03", "2027-01-04")),
    ("nov 20 reunion", allday("reunion", "2027-11-20", "2027-11-21")),
    ("nov 21 reunion", allday("reunion", "2026-11-21", "2026-11-22")),
    ("leap day party feb 29", allday("leap day party", "2028-02-29", "2028-03-01")),
    ("ping in 2 hours", timed("ping", "2026-11-21T11:00:00", "2026-11-21T12:00:00")),
    ("ping in 45 minutes", timed("ping", "2026-11-21T09:45:00", "2026-11-21T10:45:00")),
    ("review in a week", allday("review", "2026-11-28", "2026-11-29")),
    ("renew in 1 month", allday("renew", "2026-12-21", "2026-12-22")),
    ("dentist the day after tomorrow at 10am",
     timed("dentist", "2026-11-23T10:00:00", "2026-11-23T11:00:00")),
    ("call friday evening at 7", timed("call", "2026-11-27T19:00:00", "2026-11-27T20:00:00")),
    ("run tomorrow morning", timed("run", "2026-11-22T09:00:00", "2026-11-22T10:00:00")),
    ("meet 2027-01-15 10:00", timed("meet", "2027-01-15T10:00:00", "2027-01-15T11:00:00")),
    ("meet 15.01.2027 um 10 Uhr", timed("meet", "2027-01-15T10:00:00", "2027-01-15T11:00:00")),
    ("dinner sunday, dec 6 at 7pm", timed("dinner", "2026-12-06T19:00:00", "2026-12-06T20:00:00")),
    ("exam 3rd of january", allday("exam", "2027-01-03", "2027-01-04")),
    ("exam march 8, 2027", allday("exam", "2027-03-08", "2027-03-09")),
    # ranges and durations
    ("class 9-10am monday", timed("class", "2026-11-23T09:00:00", "2026-11-23T10:00:00")),
    ("class 11-1pm monday", timed("class", "2026-11-23T11:00:00", "2026-11-23T13:00:00")),
    ("class 3pm-5pm monday", timed("class", "2026-11-23T15:00:00", "2026-11-23T17:00:00")),
    ("class 3pm-5 monday", timed("class", "2026-11-23T15:00:00", "2026-11-23T17:00:00")),
    ("class 14:00 to 15:30 monday", timed("class", "2026-11-23T14:00:00", "2026-11-23T15:30:00")),
    ("class between 2 and 4pm monday", timed("class", "2026-11-23T14:00:00", "2026-11-23T16:00:00")),
    ("party 10pm-2am saturday", timed("party", "2026-11-28T22:00:00", "2026-11-29T02:00:00")),
    ("talk monday 10am for 90 minutes", timed("talk", "2026-11-23T10:00:00", "2026-11-23T11:30:00")),
    ("talk monday 10am for an hour and a half",
     timed("talk", "2026-11-23T10:00:00", "2026-11-23T11:30:00")),
    ("talk monday 10am for half an hour", timed("talk", "2026-11-23T10:00:00", "2026-11-23T10:30:00")),
    ("talk monday 10am for 1h30", timed("talk", "2026-11-23T10:00:00", "2026-11-23T11:30:00")),
    ("offsite dec 3 all day", allday("offsite", "2026-12-03", "2026-12-04")),
    ("holiday dec 24 to dec 26", allday("holiday", "2026-12-24", "2026-12-27")),
    ("holiday dec 24-26", allday("holiday", "2026-12-24", "2026-12-27")),
    ("holiday dec 30 to jan 2", allday("holiday", "2026-12-30", "2027-01-03")),
    ("retreat friday through sunday", allday("retreat", "2026-11-27", "2026-11-30")),
    ("trip dec 1 for 3 days", allday("trip", "2026-12-01", "2026-12-04")),
    # repetition
    ("every tuesday", allday("", "2026-11-24", "2026-11-25", "FREQ=WEEKLY;BYDAY=TU")),
    ("stretch every day at 8am", timed("stretch", "2026-11-22T08:00:00", "2026-11-22T09:00:00", "FREQ=DAILY")),
    ("stretch daily at 10am", timed("stretch", "2026-11-21T10:00:00", "2026-11-21T11:00:00", "FREQ=DAILY")),
    ("report weekly on friday", allday("report", "2026-11-27", "2026-11-28", "FREQ=WEEKLY;BYDAY=FR")),
    ("weekly review friday 4pm",
     timed("review", "2026-11-27T16:00:00", "2026-11-27T17:00:00", "FREQ=WEEKLY;BYDAY=FR")),
    ("chores weekends", allday("chores", "2026-11-21", "2026-11-22", "FREQ=WEEKLY;BYDAY=SA,SU")),
    ("chores every weekend", allday("chores", "2026-11-21", "2026-11-22", "FREQ=WEEKLY;BYDAY=SA,SU")),
    ("sync every other week on wednesday at 11",
     timed("sync", "2026-11-25T11:00:00", "2026-11-25T12:00:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE")),
    ("invoice every month on the 31st",
     allday("invoice", "2026-12-31", "2027-01-01", "FREQ=MONTHLY;BYMONTHDAY=31")),
    ("backup on the last day of the month",
     allday("backup", "2026-11-30", "2026-12-01", "FREQ=MONTHLY;BYMONTHDAY=-1")),
    ("meetup every second tuesday of the month at 7pm",
     timed("meetup", "2026-12-08T19:00:00", "2026-12-08T20:00:00", "FREQ=MONTHLY;BYDAY=2TU")),
    ("taxes every year on april 15",
     allday("taxes", "2027-04-15", "2027-04-16", "FREQ=YEARLY;BYMONTH=4;BYMONTHDAY=15")),
    ("anniversary every june 12",
     allday("anniversary", "2027-06-12", "2027-06-13", "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=12")),
    ("class every tuesday at 6pm until dec 31",
     timed("class", "2026-11-24T18:00:00", "2026-11-24T19:00:00",
           "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261231T235959")),
    ("class every tuesday until dec 31",
     allday("class", "2026-11-24", "2026-11-25", "FREQ=WEEKLY;BYDAY=TU;UNTIL=20261231")),
    ("pt mon and wed at 7am for 10 weeks",
     timed("pt", "2026-11-23T07:00:00", "2026-11-23T08:00:00", "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=20")),
    ("pills every day at 9pm for 5 days",
     timed("pills", "2026-11-21T21:00:00", "2026-11-21T22:00:00", "FREQ=DAILY;COUNT=5")),
    ("lessons every tuesday at 5pm 4 times",
     timed("lessons", "2026-11-24T17:00:00", "2026-11-24T18:00:00", "FREQ=WEEKLY;BYDAY=TU;COUNT=4")),
    ("standup every tuesday at 9 except dec 22",
     timed("standup", "2026-11-24T09:00:00", "2026-11-24T10:00:00", "FREQ=WEEKLY;BYDAY=TU",
           exdates=["2026-12-22T09:00:00"])),
    ("gym every tuesday except dec 22 and dec 29",
     allday("gym", "2026-11-24", "2026-11-25", "FREQ=WEEKLY;BYDAY=TU", exdates=["2026-12-22", "2026-12-29"])),
    ("tennis twice a week on mon and thu at 6pm",
     timed("tennis", "2026-11-23T18:00:00", "2026-11-23T19:00:00", "FREQ=WEEKLY;BYDAY=MO,TH")),
    ("gym mon wed fri 7am",
     timed("gym", "2026-11-23T07:00:00", "2026-11-23T08:00:00", "FREQ=WEEKLY;BYDAY=MO,WE,FR")),
    ("backup every saturday at 10",
     timed("backup", "2026-11-21T10:00:00", "2026-11-21T11:00:00", "FREQ=WEEKLY;BYDAY=SA")),
    ("sprint every 2 weeks starting dec 7",
     allday("sprint", "2026-12-07", "2026-12-08", "FREQ=WEEKLY;INTERVAL=2")),
    ("party on saturday from 8pm to midnight", timed("party", "2026-11-28T20:00:00", "2026-11-29T00:00:00")),
    ("lunch noon-1pm friday", timed("lunch", "2026-11-27T12:00:00", "2026-11-27T13:00:00")),
    ("happy hour friday 5-7", timed("happy hour", "2026-11-27T17:00:00", "2026-11-27T19:00:00")),
    ("lunch 12-1", timed("lunch", "2026-11-21T12:00:00", "2026-11-21T13:00:00")),
    ("dinner at 7 tomorrow", timed("dinner", "2026-11-22T19:00:00", "2026-11-22T20:00:00")),
    ("dinner tonight at midnight", timed("dinner", "2026-11-22T00:00:00", "2026-11-22T01:00:00")),
    ("morning run every day at 6",
     timed("morning run", "2026-11-22T06:00:00", "2026-11-22T07:00:00", "FREQ=DAILY")),
    ("stretch every morning", timed("stretch", "2026-11-21T09:00:00", "2026-11-21T10:00:00", "FREQ=DAILY")),
    ("garbage every thursday night",
     timed("garbage", "2026-11-26T20:00:00", "2026-11-26T21:00:00", "FREQ=WEEKLY;BYDAY=TH")),
    ("1:1 every other thursday 15:00-15:30",
     timed("1:1", "2026-11-26T15:00:00", "2026-11-26T15:30:00", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TH")),
    ("vacation dec 20 - jan 5", allday("vacation", "2026-12-20", "2027-01-06")),
    ("bills on the 1st of every month",
     allday("bills", "2026-12-01", "2026-12-02", "FREQ=MONTHLY;BYMONTHDAY=1")),
    ("cleaning every 2nd saturday",
     allday("cleaning", "2026-11-21", "2026-11-22", "FREQ=WEEKLY;INTERVAL=2;BYDAY=SA")),
    ("board meeting every last friday",
     allday("board meeting", "2026-11-27", "2026-11-28", "FREQ=MONTHLY;BYDAY=-1FR")),
    ("review biweekly on tuesdays",
     allday("review", "2026-11-24", "2026-11-25", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")),
    ("Weekly team meeting every Monday at 10am",
     timed("Weekly team meeting", "2026-11-23T10:00:00", "2026-11-23T11:00:00", "FREQ=WEEKLY;BYDAY=MO")),
    ("Mom's birthday on March 3rd every year",
     allday("Mom's birthday", "2027-03-03", "2027-03-04", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3")),
    ("Vacation from December 20 to January 3", allday("Vacation", "2026-12-20", "2027-01-04")),
    ("Conference from Dec 10-12", allday("Conference", "2026-12-10", "2026-12-13")),
    ("meeting 3rd monday of march", allday("meeting", "2027-03-15", "2027-03-16")),
    ("meeting 3rd monday of march 2026", allday("meeting", "2026-03-16", "2026-03-17")),
    ("standup mon-fri 9am",
     timed("standup", "2026-11-23T09:00:00", "2026-11-23T10:00:00", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")),
    ("retreat fri-sun", allday("retreat", "2026-11-27", "2026-11-30")),
    # title and location
    ("Lunch tomorrow at 12:30pm with Sarah",
     timed("Lunch with Sarah", "2026-11-22T12:30:00", "2026-11-22T13:30:00")),
    ("Meeting with John at 3pm tomorrow in Conference Room B",
     timed("Meeting with John", "2026-11-22T15:00:00", "2026-11-22T16:00:00", location="Conference Room B")),
    ("team lunch every friday at 12:30 at Luigi's",
     timed("team lunch", "2026-11-27T12:30:00", "2026-11-27T13:30:00", "FREQ=WEEKLY;BYDAY=FR",
           location="Luigi's")),
    ("release 2.0 on friday", allday("release 2.0", "2026-11-27", "2026-11-28")),
    ("dance friday", allday("dance", "2026-11-27", "2026-11-28")),
    ("exam 3rd of january", allday("exam", "2027-01-03", "2027-01-04")),
    ("coffee with Ana at the cafe on monday at 10",
     timed("coffee with Ana", "2026-11-23T10:00:00", "2026-11-23T11:00:00", location="the cafe")),
    ("standup @ room 4 monday 10am",
     timed("standup", "2026-11-23T10:00:00", "2026-11-23T11:00:00", location="room 4")),
    ("conference in Berlin dec 5", allday("conference", "2026-12-05", "2026-12-06", location="Berlin")),
    ("lunch at noon", timed("lunch", "2026-11-21T12:00:00", "2026-11-21T13:00:00")),
    ("Team Offsite monday", allday("Team Offsite", "2026-11-23", "2026-11-24")),
    # other languages
    ("réunion vendredi à 14h", timed("réunion", "2026-11-27T14:00:00", "2026-11-27T15:00:00")),
    ("réunion le 5 décembre à 9h30", timed("réunion", "2026-12-05T09:30:00", "2026-12-05T10:30:00")),
    ("cours de 14h à 16h lundi", timed("cours", "2026-11-23T14:00:00", "2026-11-23T16:00:00")),
    ("dentiste après-demain à 11h", timed("dentiste", "2026-11-23T11:00:00", "2026-11-23T12:00:00")),
    ("réunion demain à 10h pendant 2 heures",
     timed("réunion", "2026-11-22T10:00:00", "2026-11-22T12:00:00")),
    ("déjeuner tous les mardis à midi",
     timed("déjeuner", "2026-11-24T12:00:00", "2026-11-24T13:00:00", "FREQ=WEEKLY;BYDAY=TU")),
    ("Zahnarzt am Mittwoch um 15 Uhr", timed("Zahnarzt", "2026-11-25T15:00:00", "2026-11-25T16:00:00")),
    ("Treffen morgen von 10 bis 12 Uhr", timed("Treffen", "2026-11-22T10:00:00", "2026-11-22T12:00:00")),
    ("Urlaub am 5. Dezember", allday("Urlaub", "2026-12-05", "2026-12-06")),
    ("Sport jeden Montag um 18 Uhr",
     timed("Sport", "2026-11-23T18:00:00", "2026-11-23T19:00:00", "FREQ=WEEKLY;BYDAY=MO")),
    ("Besprechung nächsten Dienstag für 2 Stunden um 9 Uhr",
     timed("Besprechung", "2026-11-24T09:00:00", "2026-11-24T11:00:00")),
    ("cita el viernes a las 3 de la tarde", timed("cita", "2026-11-27T15:00:00", "2026-11-27T16:00:00")),
    ("reunión mañana a las 10", timed("reunión", "2026-11-22T10:00:00", "2026-11-22T11:00:00")),
    ("cena el 12 de diciembre a las 21:00", timed("cena", "2026-12-12T21:00:00", "2026-12-12T22:00:00")),
    ("clase todos los lunes a las 10",
     timed("clase", "2026-11-23T10:00:00", "2026-11-23T11:00:00", "FREQ=WEEKLY;BYDAY=MO")),
    ("cours tous les jeudis de 18h à 20h",
     timed("cours", "2026-11-26T18:00:00", "2026-11-26T20:00:00", "FREQ=WEEKLY;BYDAY=TH")),
    ("réunion chaque lundi à 9h jusqu'au 15 décembre",
     timed("réunion", "2026-11-23T09:00:00", "2026-11-23T10:00:00", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261215T235959")),
    ("vacances du 20 au 27 décembre", allday("vacances", "2026-12-20", "2026-12-28")),
    ("réunion dans 2 heures", timed("réunion", "2026-11-21T11:00:00", "2026-11-21T12:00:00")),
    ("dîner samedi soir", timed("dîner", "2026-11-28T19:00:00", "2026-11-28T20:00:00")),
    ("Training jeden Dienstag und Donnerstag um 19 Uhr",
     timed("Training", "2026-11-24T19:00:00", "2026-11-24T20:00:00", "FREQ=WEEKLY;BYDAY=TU,TH")),
    ("Teammeeting montags um 10 Uhr",
     timed("Teammeeting", "2026-11-23T10:00:00", "2026-11-23T11:00:00", "FREQ=WEEKLY;BYDAY=MO")),
    ("Urlaub vom 24. bis 26. Dezember", allday("Urlaub", "2026-12-24", "2026-12-27")),
    ("Abendessen heute Abend um 8", timed("Abendessen", "2026-11-21T20:00:00", "2026-11-21T21:00:00")),
    ("Meeting Freitag 14-15 Uhr", timed("Meeting", "2026-11-27T14:00:00", "2026-11-27T15:00:00")),
    ("Termin in 2 Wochen", allday("Termin", "2026-12-05", "2026-12-06")),
    ("gimnasio lunes, miércoles y viernes a las 7",
     timed("gimnasio", "2026-11-23T07:00:00", "2026-11-23T08:00:00", "FREQ=WEEKLY;BYDAY=MO,WE,FR")),
    ("reunión cada 2 semanas el miércoles",
     allday("reunión", "2026-11-25", "2026-11-26", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE")),
    ("reunión el lunes de 10 a 12", timed("reunión", "2026-11-23T10:00:00", "2026-11-23T12:00:00")),
    ("llamada en 2 horas", timed("llamada", "2026-11-21T11:00:00", "2026-11-21T12:00:00")),
    ("yoga durante 90 minutos el jueves a las 8",
     timed("yoga", "2026-11-26T08:00:00", "2026-11-26T09:30:00")),
]


@pytest.mark.parametrize(("text", "expect"), OWN_CASES, ids=[c[0] for c in OWN_CASES])
def test_it_parses_more_phrases(text, expect):
    assert_matches(parse_schedule(text, now=NOW, tz=BUCHAREST), expect)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("", None),
        ("   ", None),
        ("hello world", "hello world"),
        ("buy milk", "buy milk"),
        ("meeting feb 30 at 10am", "feb 30"),
        ("meeting 31/11", "31/11"),
        ("call at 25:00", "25:00"),
        ("call at 13pm", "13pm"),
        ("meeting 5pm to 3pm tomorrow", "5pm to 3pm"),
        ("trip dec 26 to dec 24", "dec 24"),
        ("lunch dec 5 or dec 6", "dec 6"),
        ("lunch at 1pm at 2pm", "at 2pm"),
        ("x" * 501, None),
        ("twice a week at 9", "twice"),
        ("lunch tomorrow except dec 5", "dec 5"),
        ("review Next Week", "Next Week"),
        ("Meeting Feb 30", "Feb 30"),
        ("every tuesday until nov 1 2026", "nov 1"),
    ],
)
def test_it_refuses_with_a_message_quoting_the_problem(text, quoted):
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    assert result.draft is None
    assert result.error
    if quoted:
        assert quoted in result.error


def test_it_refuses_a_now_that_is_not_a_datetime():
    result = parse_schedule("lunch tomorrow", now="2026-11-21", tz=BUCHAREST)
    assert result.draft is None and result.error


def test_it_refuses_an_unknown_zone():
    result = parse_schedule("lunch tomorrow", now=NOW, tz="Mars/Olympus")
    assert result.draft is None and "Mars/Olympus" in result.error


def test_it_reads_slash_dates_by_zone_and_setting():
    ny = parse_schedule("doctor 12/5", now=NOW, tz="America/New_York").draft
    assert ny["start"] == "2026-12-05"
    eu = parse_schedule("doctor 5/12", now=NOW, tz=BUCHAREST).draft
    assert eu["start"] == "2026-12-05"
    forced = parse_schedule("doctor 5/12", now=NOW, tz="America/New_York", day_first=True).draft
    assert forced["start"] == "2026-12-05"
    forced = parse_schedule("doctor 12/5", now=NOW, tz=BUCHAREST, day_first=False).draft
    assert forced["start"] == "2026-12-05"


def test_it_accepts_an_aware_now():
    aware = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)  # 09:00 in Bucharest
    draft = parse_schedule("ping in 2 hours", now=aware, tz=BUCHAREST).draft
    assert draft["start"] == "2026-11-21T11:00:00"
    assert draft["tz"] == BUCHAREST


def test_all_day_events_have_no_zone():
    draft = parse_schedule("holiday dec 24", now=NOW, tz=BUCHAREST).draft
    assert draft["tz"] is None and draft["all_day"] is True


# ---- DST -------------------------------------------------------------------------


def test_a_time_in_the_spring_gap_moves_forward_in_bucharest():
    # Clocks go from 03:00 to 04:00 on Sunday 2027-03-28.
    draft = parse_schedule("call mar 28 at 03:30", now=NOW, tz=BUCHAREST).draft
    assert draft["start"] == "2027-03-28T04:30:00"
    assert draft["end"] == "2027-03-28T05:30:00"


def test_durations_are_elapsed_across_the_autumn_change_in_bucharest():
    # Clocks go from 04:00 back to 03:00 on Sunday 2026-10-25.
    now = datetime(2026, 10, 24, 12, 0)
    draft = parse_schedule("shift oct 25 at 1am for 4 hours", now=now, tz=BUCHAREST).draft
    assert draft["start"] == "2026-10-25T01:00:00"
    assert draft["end"] == "2026-10-25T04:00:00"


def test_in_n_hours_is_elapsed_time_across_the_spring_change_in_new_york():
    # 2027-03-14 02:00 -> 03:00 in New York.
    now = datetime(2027, 3, 14, 1, 30)
    draft = parse_schedule("check in 1 hour", now=now, tz="America/New_York").draft
    assert draft["start"] == "2027-03-14T03:30:00"


def test_a_weekly_event_keeps_its_wall_time_across_dst():
    now = datetime(2027, 3, 20, 9, 0)
    draft = parse_schedule("lunch every tuesday at noon", now=now, tz=BUCHAREST).draft
    assert draft["start"] == "2027-03-23T12:00:00"
    assert occurrences(draft["rrule"], draft["start"], 2)[1] == datetime(2027, 3, 30, 12, 0)


def test_a_ten_to_eleven_range_in_the_new_york_gap():
    now = datetime(2027, 3, 10, 9, 0)
    draft = parse_schedule("night shift sunday 2:30am-4am", now=now, tz="America/New_York").draft
    assert draft["start"] == "2027-03-14T03:30:00"
    assert draft["end"] == "2027-03-14T04:00:00"


# ---- spans -----------------------------------------------------------------------


def test_spans_cover_the_title_schedule_and_location():
    text = "coffee with Ana at the cafe on monday at 10"
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    by_kind = {s.kind: text[s.start : s.end] for s in result.spans}
    assert by_kind["title"] == "coffee with Ana"
    assert by_kind["location"] == "the cafe"
    assert by_kind["date"] == "on monday"
    assert by_kind["time"] == "at 10"


def test_spans_mark_repetition_and_ranges():
    text = "yoga every tuesday 6pm-7pm until dec 15"
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    pieces = [(s.kind, text[s.start : s.end]) for s in result.spans]
    assert ("title", "yoga") in pieces
    assert ("recurrence", "every tuesday") in pieces
    assert ("range", "6pm-7pm") in pieces
    assert ("recurrence", "until dec 15") in pieces


def test_spans_do_not_overlap_and_stay_inside_the_text():
    for text, _ in OWN_CASES:
        result = parse_schedule(text, now=NOW, tz=BUCHAREST)
        last_end = 0
        for span in result.spans:
            assert isinstance(span, Span)
            assert last_end <= span.start < span.end <= len(text)
            last_end = span.end


# ---- robustness --------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_never_raises(text):
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    assert (result.draft is None) != (result.error is None)
    assert not (result.error or "").startswith("internal error")


SCHEDULE_WORDS = ["every", "tuesday", "dec", "5", "at", "3pm", "-", "to", "until", "for", "2", "hours",
                  "in", "days", "the", "14th", "12/5", "noon", "except", "weekday", "other", "of",
                  "month", "first", "last", "all", "day", "from", "à", "14h", "um", "Uhr", "lunes",
                  "31", "feb", "30", ":", "99", "twice", "a", "week", "on", "and", "@", "x", "days", "weeks", "months", "times",
                  "0", "24:00", "12am", "tonight", "midnight", "weekend", "next", "mondays", "daily",
                  "hourly", "1.5", "tomorrow", "2026-02-30", "jeden", "todos", "los", "tous", "les",
                  "half", "past", "quarter", "late", "eod", "EST", "tom", "weekends", "fridays", "1930",
                  "2nd", "4th", "end", "year", "halb", "y", "media", "5p", "0930", "sun", "2pm"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(SCHEDULE_WORDS), max_size=10), st.sampled_from(
    [BUCHAREST, "America/New_York", "UTC", "Asia/Kolkata"]))
def test_schedule_like_noise_never_raises(words, tz):
    result = parse_schedule(" ".join(words), now=NOW, tz=tz)
    assert (result.draft is None) != (result.error is None)
    assert not (result.error or "").startswith("internal error")
    if result.draft:
        draft = result.draft
        assert draft["end"] > draft["start"]
        if draft["rrule"]:
            assert occurrences(draft["rrule"], draft["start"], 1)

