"""The quick-add parser on more of what people type: spoken clock times, number
words, exceptions from a set of weekdays, date-and-time ranges, more places."""

import pytest

from events.schedule import parse_schedule
from tests.test_schedule import BUCHAREST, NOW, allday, assert_matches, timed

# NOW is Saturday 2026-11-21 09:00 in Bucharest.
MORE_CASES = [
    # spoken clock times and number words
    ("meeting half past 3", timed("meeting", "2026-11-21T15:30:00", "2026-11-21T16:30:00")),
    ("call quarter to 5", timed("call", "2026-11-21T16:45:00", "2026-11-21T17:45:00")),
    ("standup quarter past 10am", timed("standup", "2026-11-21T10:15:00", "2026-11-21T11:15:00")),
    ("call at half past nine tomorrow", timed("call", "2026-11-22T09:30:00", "2026-11-22T10:30:00")),
    ("dinner at five", timed("dinner", "2026-11-21T17:00:00", "2026-11-21T18:00:00")),
    ("dinner at seven thirty", timed("dinner", "2026-11-21T19:30:00", "2026-11-21T20:30:00")),
    ("coffee at seven thirty", timed("coffee", "2026-11-22T07:30:00", "2026-11-22T08:30:00")),
    ("call mom at five pm monday", timed("call mom", "2026-11-23T17:00:00", "2026-11-23T18:00:00")),
    ("wake up at seven o'clock tomorrow", timed("wake up", "2026-11-22T07:00:00", "2026-11-22T08:00:00")),
    ("review in two days", allday("review", "2026-11-23", "2026-11-24")),
    ("meeting tomorrow 3pm for two hours", timed("meeting", "2026-11-22T15:00:00", "2026-11-22T17:00:00")),
    ("sync every two weeks", allday("sync", "2026-11-21", "2026-11-22", "FREQ=WEEKLY;INTERVAL=2")),
    ("gym every monday for three weeks",
     allday("gym", "2026-11-23", "2026-11-24", "FREQ=WEEKLY;BYDAY=MO;COUNT=3")),
    # a weekday taken out of a set of weekdays
    ("lunch every weekday except fridays",
     allday("lunch", "2026-11-23", "2026-11-24", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH")),
    ("lunch every weekday at noon except friday",
     timed("lunch", "2026-11-23T12:00:00", "2026-11-23T13:00:00", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH")),
    ("walk every day except weekends",
     allday("walk", "2026-11-23", "2026-11-24", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")),
    ("walk daily except sundays at 7am",
     timed("walk", "2026-11-23T07:00:00", "2026-11-23T08:00:00", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR,SA")),
    # an open end: "late" is not part of the title; the event lasts the default hour
    ("dinner dec 5 7pm-late", timed("dinner", "2026-12-05T19:00:00", "2026-12-05T20:00:00")),
    ("party sat 9pm till late", timed("party", "2026-11-28T21:00:00", "2026-11-28T22:00:00")),
    # date and time on both sides of a range
    ("trip fri 6pm to sun 2pm", timed("trip", "2026-11-27T18:00:00", "2026-11-29T14:00:00")),
    ("conf dec 5 10:00 - dec 6 12:00", timed("conf", "2026-12-05T10:00:00", "2026-12-06T12:00:00")),
    ("offsite from monday 9am until wednesday 5pm",
     timed("offsite", "2026-11-23T09:00:00", "2026-11-25T17:00:00")),
    ("hackathon dec 5 at 10am to dec 6 at 4pm",
     timed("hackathon", "2026-12-05T10:00:00", "2026-12-06T16:00:00")),
    # more shapes of dates and times
    ("standup Mon 9am", timed("standup", "2026-11-23T09:00:00", "2026-11-23T10:00:00")),
    ("standup 9am Mon", timed("standup", "2026-11-23T09:00:00", "2026-11-23T10:00:00")),
    ("party on Dec 5th", allday("party", "2026-12-05", "2026-12-06")),
    ("wedding December 5th, 2027", allday("wedding", "2027-12-05", "2027-12-06")),
    ("party 5th of December", allday("party", "2026-12-05", "2026-12-06")),
    ("party the 5th", allday("party", "2026-12-05", "2026-12-06")),
    ("lunch noon tomorrow", timed("lunch", "2026-11-22T12:00:00", "2026-11-22T13:00:00")),
    ("lunch tmrw", allday("lunch", "2026-11-22", "2026-11-23")),
    ("lunch tmr 1pm", timed("lunch", "2026-11-22T13:00:00", "2026-11-22T14:00:00")),
    ("lunch tom 3pm", timed("lunch", "2026-11-22T15:00:00", "2026-11-22T16:00:00")),
    ("call tom at 3pm", timed("call tom", "2026-11-21T15:00:00", "2026-11-21T16:00:00")),
    ("call 2pm today", timed("call", "2026-11-21T14:00:00", "2026-11-21T15:00:00")),
    ("call today at 2", timed("call", "2026-11-21T14:00:00", "2026-11-21T15:00:00")),
    ("call this afternoon", timed("call", "2026-11-21T15:00:00", "2026-11-21T16:00:00")),
    ("drinks this evening", timed("drinks", "2026-11-21T19:00:00", "2026-11-21T20:00:00")),
    ("drinks tomorrow night", timed("drinks", "2026-11-22T19:00:00", "2026-11-22T20:00:00")),
    ("appointment 10am thursday 3/12", timed("appointment", "2026-12-03T10:00:00", "2026-12-03T11:00:00")),
    ("llamada mañana por la mañana", timed("llamada", "2026-11-22T09:00:00", "2026-11-22T10:00:00")),
    ("call at 5p", timed("call", "2026-11-21T17:00:00", "2026-11-21T18:00:00")),
    ("meeting 2026-12-05T10:00", timed("meeting", "2026-12-05T10:00:00", "2026-12-05T11:00:00")),
    ("meeting monday 10 to 11", timed("meeting", "2026-11-23T10:00:00", "2026-11-23T11:00:00")),
    ("party 8 to 11 tonight", timed("party", "2026-11-21T20:00:00", "2026-11-21T23:00:00")),
    # a zone after the time: the days are the user's, the clock is read in that zone
    ("webinar dec 8 2pm-3pm EST", timed("webinar", "2026-12-08T21:00:00", "2026-12-08T22:00:00")),
    ("call at 9am PST tomorrow", timed("call", "2026-11-22T19:00:00", "2026-11-22T20:00:00")),
    # "eod" is five in the afternoon
    ("report eod", timed("report", "2026-11-21T17:00:00", "2026-11-21T18:00:00")),
    ("report due eod friday", timed("report due", "2026-11-27T17:00:00", "2026-11-27T18:00:00")),
    # more repetition
    ("run every morning at 7", timed("run", "2026-11-22T07:00:00", "2026-11-22T08:00:00", "FREQ=DAILY")),
    ("standup every weekday morning",
     timed("standup", "2026-11-23T09:00:00", "2026-11-23T10:00:00", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR")),
    ("water plants every other day",
     allday("water plants", "2026-11-21", "2026-11-22", "FREQ=DAILY;INTERVAL=2")),
    ("meetup every second tuesday",
     allday("meetup", "2026-11-24", "2026-11-25", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU")),
    ("club every 2nd and 4th thursday",
     allday("club", "2026-11-26", "2026-11-27", "FREQ=MONTHLY;BYDAY=2TH,4TH")),
    ("club the first and third monday of the month at 7pm",
     timed("club", "2026-12-07T19:00:00", "2026-12-07T20:00:00", "FREQ=MONTHLY;BYDAY=1MO,3MO")),
    ("backup on the last day of every month",
     allday("backup", "2026-11-30", "2026-12-01", "FREQ=MONTHLY;BYMONTHDAY=-1")),
    ("dues annually on jun 1",
     allday("dues", "2027-06-01", "2027-06-02", "FREQ=YEARLY;BYMONTH=6;BYMONTHDAY=1")),
    ("rent monthly on the 1st and 15th",
     allday("rent", "2026-12-01", "2026-12-02", "FREQ=MONTHLY;BYMONTHDAY=1,15")),
    ("party every jan 1", allday("party", "2027-01-01", "2027-01-02", "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1")),
    ("every year on my birthday march 3",
     allday("my birthday", "2027-03-03", "2027-03-04", "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=3")),
    # "for N weeks" with two named weekdays: every named day of those N weeks
    # (a COUNT of 2 x 8, the same dates as an UNTIL at the end of the 8th week).
    ("class every tuesday and thursday at 5:30pm for 8 weeks",
     timed("class", "2026-11-24T17:30:00", "2026-11-24T18:30:00", "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=16")),
    ("yoga every monday starting dec 1", allday("yoga", "2026-12-07", "2026-12-08", "FREQ=WEEKLY;BYDAY=MO")),
    ("yoga every monday from jan 5", allday("yoga", "2027-01-11", "2027-01-12", "FREQ=WEEKLY;BYDAY=MO")),
    ("yoga every monday until the end of the year",
     allday("yoga", "2026-11-23", "2026-11-24", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261231")),
    ("yoga every monday until end of month",
     allday("yoga", "2026-11-23", "2026-11-24", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20261130")),
    ("yoga every monday through march",
     allday("yoga", "2026-11-23", "2026-11-24", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270331")),
    ("yoga every monday at 6pm until january",
     timed("yoga", "2026-11-23T18:00:00", "2026-11-23T19:00:00", "FREQ=WEEKLY;BYDAY=MO;UNTIL=20270131T235959")),
    # places
    ("pizza at Joe's Pizza friday 7pm",
     timed("pizza", "2026-11-27T19:00:00", "2026-11-27T20:00:00", location="Joe's Pizza")),
    ("coffee at Starbucks on 5th tomorrow 9am",
     timed("coffee", "2026-11-22T09:00:00", "2026-11-22T10:00:00", location="Starbucks on 5th")),
    ("meeting in room 204 tomorrow 10am",
     timed("meeting", "2026-11-22T10:00:00", "2026-11-22T11:00:00", location="room 204")),
    ("meeting in the conference room tomorrow 10am",
     timed("meeting", "2026-11-22T10:00:00", "2026-11-22T11:00:00", location="the conference room")),
    ("work at home monday", allday("work", "2026-11-23", "2026-11-24", location="home")),
    ("visit at 221B Baker St friday 3pm",
     timed("visit", "2026-11-27T15:00:00", "2026-11-27T16:00:00", location="221B Baker St")),
    ("coffee @Cafe Nero monday 10am",
     timed("coffee", "2026-11-23T10:00:00", "2026-11-23T11:00:00", location="Cafe Nero")),
    ("picnic at the park at 3pm saturday",
     timed("picnic", "2026-11-28T15:00:00", "2026-11-28T16:00:00", location="the park")),
    ("dinner in Paris next tuesday", allday("dinner", "2026-11-24", "2026-11-25", location="Paris")),
    # titles with schedule-like words
    ("March for Science march 8", allday("March for Science", "2027-03-08", "2027-03-09")),
    ("Call May about may 5 meeting", allday("Call May about meeting", "2027-05-05", "2027-05-06")),
    # French, German, Spanish
    ("rendez-vous lundi prochain à 10h30",
     timed("rendez-vous", "2026-11-23T10:30:00", "2026-11-23T11:30:00")),
    ("rdv le 5 décembre à 15h", timed("rdv", "2026-12-05T15:00:00", "2026-12-05T16:00:00")),
    ("sport tous les jours à 8h", timed("sport", "2026-11-22T08:00:00", "2026-11-22T09:00:00", "FREQ=DAILY")),
    ("cours chaque lundi", allday("cours", "2026-11-23", "2026-11-24", "FREQ=WEEKLY;BYDAY=MO")),
    ("Besprechung morgen um 10:30", timed("Besprechung", "2026-11-22T10:30:00", "2026-11-22T11:30:00")),
    ("Sport jeden Dienstag um 18 Uhr",
     timed("Sport", "2026-11-24T18:00:00", "2026-11-24T19:00:00", "FREQ=WEEKLY;BYDAY=TU")),
    ("Treffen morgen um halb 3", timed("Treffen", "2026-11-22T14:30:00", "2026-11-22T15:30:00")),
    ("Urlaub am 5. Dezember", allday("Urlaub", "2026-12-05", "2026-12-06")),
    ("reunión el lunes a las 10", timed("reunión", "2026-11-23T10:00:00", "2026-11-23T11:00:00")),
    ("cita mañana a las 9 y media", timed("cita", "2026-11-22T09:30:00", "2026-11-22T10:30:00")),
    ("cita mañana a las 10 menos cuarto", timed("cita", "2026-11-22T09:45:00", "2026-11-22T10:45:00")),
    ("rdv demain à 9h et quart", timed("rdv", "2026-11-22T09:15:00", "2026-11-22T10:15:00")),
    ("clase todos los martes a las 19:00",
     timed("clase", "2026-11-24T19:00:00", "2026-11-24T20:00:00", "FREQ=WEEKLY;BYDAY=TU")),
    # 12- and 24-hour edge cases; "24:00" is the midnight that ends the day
    ("call 12am", timed("call", "2026-11-22T00:00:00", "2026-11-22T01:00:00")),
    ("call 12pm", timed("call", "2026-11-21T12:00:00", "2026-11-21T13:00:00")),
    ("call 0:30", timed("call", "2026-11-22T00:30:00", "2026-11-22T01:30:00")),
    ("call 24:00", timed("call", "2026-11-22T00:00:00", "2026-11-22T01:00:00")),
    ("deploy dec 5 at 24:00", timed("deploy", "2026-12-06T00:00:00", "2026-12-06T01:00:00")),
    ("dinner 7.30pm", timed("dinner", "2026-11-21T19:30:00", "2026-11-21T20:30:00")),
    ("dinner 1930", timed("dinner", "2026-11-21T19:30:00", "2026-11-21T20:30:00")),
    ("call at 0930 monday", timed("call", "2026-11-23T09:30:00", "2026-11-23T10:30:00")),
]


@pytest.mark.parametrize(("text", "expect"), MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_it_parses_what_people_type(text, expect):
    assert_matches(parse_schedule(text, now=NOW, tz=BUCHAREST), expect)


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        # A duration in hours or minutes without a clock time: ask for the time
        # rather than guess one.
        ("meeting tomorrow for 90 minutes", "for 90 minutes"),
        ("yoga every monday for an hour", "for an hour"),
        # "next week" names no day; the message says how to name one.
        ("review next week", "next week"),
        ("review next month", "next month"),
        ("call at 24:30", "24:30"),
        ("trip in 2 to 3 days", None),
    ],
)
def test_it_asks_for_what_is_missing(text, quoted):
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    assert result.draft is None
    assert result.error
    if quoted:
        assert quoted in result.error


def test_a_duration_without_a_time_asks_for_the_start():
    result = parse_schedule("meeting tomorrow for 90 minutes", now=NOW, tz=BUCHAREST)
    assert "start time" in result.error


def test_next_week_suggests_naming_a_day():
    result = parse_schedule("review next week", now=NOW, tz=BUCHAREST)
    assert "next monday" in result.error


def test_a_range_of_dates_and_times_is_one_range_span():
    text = "trip fri 6pm to sun 2pm"
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    pieces = [(s.kind, text[s.start : s.end]) for s in result.spans]
    assert pieces == [("title", "trip"), ("range", "fri 6pm to sun 2pm")]
