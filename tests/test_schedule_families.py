"""The quick-add phrase families: counts, positions in a month, exceptions, day ranges,
relative days, typos, times without am/pm, titles, durations and other languages.

tests/data/nl/families.jsonl holds at least 15 phrases per family, and
tests/data/nl/heldout.jsonl the 200 phrases the parser's accuracy is measured
on (`python -m bench parse`); both are compared like the example cases.
"""

import json
import subprocess
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from events.schedule import parse_schedule
from tests.test_schedule import BUCHAREST, NOW, assert_matches

DATA = Path(__file__).resolve().parent / "data" / "nl"
FAMILIES = ("counts", "positions", "exceptions", "dayranges", "relative", "typos", "times", "titles",
            "durations", "languages")


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line.strip()]


def test_every_family_has_at_least_fifteen_phrases():
    counts = Counter(case["family"] for case in load("families.jsonl"))
    assert {family: counts[family] for family in FAMILIES if counts[family] < 15} == {}


@pytest.mark.parametrize("case", load("families.jsonl") + load("heldout.jsonl"), ids=lambda c: c["id"])
def test_it_understands_the_family_phrases(case):
    result = parse_schedule(case["text"], now=datetime.fromisoformat(case["now"]), tz=case["tz"])
    assert_matches(result, case["expect"])


def test_it_says_which_misspelt_words_it_corrected():
    result = parse_schedule("meeting wensday at 3pm", now=NOW, tz=BUCHAREST)
    assert result.corrections == [("wensday", "wednesday")]
    assert result.draft["start"] == "2026-11-25T15:00:00"


def test_corrected_spans_point_into_the_text_as_typed():
    text = "Dentist tommorow at 10"
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    assert [(text[s.start : s.end], s.kind) for s in result.spans] == [
        ("Dentist", "title"), ("tommorow", "date"), ("at 10", "time")]


def test_it_does_not_correct_a_line_that_already_has_a_date():
    result = parse_schedule("monkey business tomorrow at 3pm", now=NOW, tz=BUCHAREST)
    assert result.corrections == []
    assert result.draft["title"] == "monkey business"


def test_a_word_far_from_every_name_is_left_alone():
    result = parse_schedule("lunch at the mondrian at 1", now=NOW, tz=BUCHAREST)
    assert result.corrections == []
    assert result.draft["start"] == "2026-11-21T13:00:00"


def test_a_capitalised_name_is_not_corrected_into_a_day():
    result = parse_schedule("lunch with Frida at 1", now=NOW, tz=BUCHAREST)
    assert result.corrections == []
    assert result.draft["title"] == "lunch with Frida"


def test_an_exception_of_months_without_a_repetition_is_refused_in_one_line():
    result = parse_schedule("dinner tomorrow at 7 except in august", now=NOW, tz=BUCHAREST)
    assert result.draft is None
    assert "nothing repeats" in result.error


def test_leaving_out_every_month_is_refused():
    result = parse_schedule("walk daily except january, february, march, april, may, june, july, august, "
                            "september, october, november and december", now=NOW, tz=BUCHAREST)
    assert result.draft is None
    assert result.error == "every month is left out"


def test_a_bare_end_before_the_start_in_the_morning_is_an_error():
    result = parse_schedule("meeting monday 11am-10am", now=NOW, tz=BUCHAREST)
    assert result.draft is None
    assert "before the start" in result.error


def test_dateparser_is_not_imported_for_a_line_the_patterns_understand():
    code = ("import sys; from datetime import datetime; from events.schedule import parse_schedule; "
            "parse_schedule('lunch every tuesday at noon', now=datetime(2026, 11, 21, 9), tz='UTC'); "
            "parse_schedule('dentist dec 5 at 14:30', now=datetime(2026, 11, 21, 9), tz='UTC'); "
            "print('dateparser' in sys.modules)")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_foreign_word_that_is_no_month_gives_the_usual_message():
    result = parse_schedule("spotkanie pokój 4", now=NOW, tz=BUCHAREST)
    assert result.draft is None
    assert result.error == 'no date or time found in "spotkanie pokój 4"'


@pytest.mark.parametrize("text", ["run daily for the next 0 weeks", "run every monday for 0 weeks"])
def test_a_repetition_that_lasts_no_time_is_refused(text):
    result = parse_schedule(text, now=NOW, tz=BUCHAREST)
    assert result.draft is None
    assert result.error == "the repetition should last at least one week"


def test_quotes_inside_a_word_quote_no_title():
    from datetime import datetime

    from events.schedule import parse_schedule

    now = datetime(2026, 11, 29, 10)
    markup = parse_schedule('<img src=x onerror="alert(2)"> tomorrow at 9', now=now, tz="UTC")
    assert markup.draft["title"] == '<img src=x onerror="alert(2)">'
    assert parse_schedule('say "hi" to bob friday 3pm', now=now, tz="UTC").draft["title"] == "say hi to bob"


@pytest.mark.parametrize("unit", ["days", "weeks", "dias", "giorni"])
def test_a_span_of_time_is_never_taken_for_a_foreign_date_whatever_today_is(unit):
    """dateparser reads "3 days" as three days from now; on the day that lands on a 3rd it
    once looked like a date. Every count from 1 to 31 covers the day these tests run."""
    from events.schedule.foreign import read_month_day

    assert [n for n in range(1, 32) if read_month_day(f"{n} {unit}") is not None] == []
    assert read_month_day("15 dicembre") == (12, 15) and read_month_day("3 de janeiro") == (1, 3)
