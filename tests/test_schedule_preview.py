"""The quick-add preview speaks plainly: repeat rules in words, corrections shown,
and a neutral hint (not an error) while the line has no date or time yet.

Read at a fixed now (CALENDAR_NOW, Sunday 29 November 2026, 10:00 UTC).
"""

import pytest

from events.schedule import describe_repeat

pytestmark = pytest.mark.django_db(databases=["default", "index"])


@pytest.fixture(autouse=True)
def fixed_now(settings):
    settings.CALENDAR_NOW = "2026-11-29T10:00"
    settings.CALENDAR_TIME_ZONE = "UTC"


def preview(client, text):
    return client.get("/quick/preview/", {"text": text}).json()


@pytest.mark.parametrize("text", ["lunch", "lunch every", "dinner with", "call mom at"])
def test_a_line_still_being_typed_gets_a_hint_not_an_error(owner_client, text):
    data = preview(owner_client, text)
    assert not data["ok"]
    assert data["hint"].startswith("Add when")


def test_a_real_mistake_is_still_an_error(owner_client):
    data = preview(owner_client, "dentist feb 30 at 10")
    assert not data["ok"]
    assert "hint" not in data
    assert "not a valid date" in data["error"]


def test_the_preview_says_the_rule_in_words(owner_client):
    data = preview(owner_client, "book club first monday of every month at 7pm")
    assert data["summary"]["repeat"] == "monthly on the first Monday"
    assert "1MO" not in data["summary"]["repeat"]


def test_the_preview_shows_a_corrected_word(owner_client):
    data = preview(owner_client, "meeting wensday at 3pm")
    assert data["ok"]
    assert data["summary"]["corrected"] == "read “wensday” as “wednesday”"
    assert data["summary"]["when"].startswith("Wed 2 Dec 2026, 15:00")


def test_a_line_without_typos_shows_no_correction(owner_client):
    assert preview(owner_client, "meeting wednesday at 3pm")["summary"]["corrected"] == ""


@pytest.mark.parametrize(("rule", "words"), [
    (None, "once"),
    ("FREQ=WEEKLY;BYDAY=TU", "every Tuesday"),
    ("FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every weekday"),
    ("FREQ=WEEKLY;INTERVAL=2;BYDAY=MO;COUNT=6", "every other week on Monday, 6 times"),
    ("FREQ=MONTHLY;BYDAY=1MO", "monthly on the first Monday"),
    ("FREQ=MONTHLY;BYDAY=-3TH", "monthly on the third to last Thursday"),
    ("FREQ=MONTHLY;BYDAY=2SA,4SA", "monthly on the second and fourth Saturday"),
    ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "monthly on the last business day"),
    ("FREQ=MONTHLY;INTERVAL=3;BYMONTHDAY=10", "every 3 months on the 10th"),
    ("FREQ=MONTHLY;BYMONTHDAY=1,20", "monthly on the 1st and 20th"),
    ("FREQ=MONTHLY;BYMONTHDAY=-1", "monthly on the last day"),
    ("FREQ=YEARLY;BYMONTH=2,5,8,11;BYDAY=2TU",
     "yearly on the second Tuesday of February, May, August and November"),
    ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=12", "yearly on 12 March"),
    ("FREQ=DAILY;BYMONTH=1,2,3,4,5,6,7,9,10,11,12", "daily except in August"),
    ("FREQ=WEEKLY;BYDAY=TU,FR;UNTIL=20270430T235959", "every Tuesday and Friday until 30 Apr 2027"),
    ("FREQ=DAILY;COUNT=10", "daily, 10 times"),
])
def test_repeat_rules_read_as_words(rule, words):
    assert describe_repeat(rule) == words
