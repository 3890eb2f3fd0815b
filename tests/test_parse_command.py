"""`manage.py parse`: the quick-add parser on the command line."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]

# The default zone is the owner's preference, read from the database.
pytestmark = pytest.mark.django_db


def run(*args, stdin=None):
    out, err = io.StringIO(), io.StringIO()
    kwargs = {"stdout": out, "stderr": err}
    if stdin is not None:
        kwargs["stdin"] = io.StringIO(stdin)
    call_command("parse", *args, **kwargs)
    return out.getvalue(), err.getvalue()


def test_it_prints_a_readable_draft():
    out, _ = run("lunch every tuesday at noon at the cafe", "--tz", "Europe/Bucharest",
                 "--now", "2026-11-21T09:00:00")
    assert "Title:   lunch" in out
    assert "2026-11-24 12:00:00" in out and "Europe/Bucharest" in out
    assert "Repeats: FREQ=WEEKLY;BYDAY=TU" in out
    assert "Where:   the cafe" in out


def test_it_prints_json():
    out, _ = run("dentist dec 5 at 14:30", "--tz", "Europe/Bucharest", "--now", "2026-11-21T09:00:00",
                 "--json")
    assert json.loads(out) == {"title": "dentist", "start": "2026-12-05T14:30:00",
                               "end": "2026-12-05T15:30:00", "all_day": False, "rrule": None,
                               "tz": "Europe/Bucharest", "location": None, "exdates": []}


def test_it_defaults_to_the_current_time_in_the_instance_zone(settings):
    settings.CALENDAR_TIME_ZONE = "Europe/Berlin"
    out, _ = run("ping in 2 hours", "--json")
    assert json.loads(out)["tz"] == "Europe/Berlin"


def test_it_reports_errors_on_stderr_with_exit_code_1():
    with pytest.raises(SystemExit) as exit_info:
        run("hello world", "--tz", "UTC")
    assert exit_info.value.code == 1


def test_it_refuses_a_bad_now():
    with pytest.raises(SystemExit):
        run("lunch tomorrow", "--now", "yesterday-ish")


def test_jsonl_answers_each_line_and_survives_bad_ones():
    lines = "\n".join([
        json.dumps({"text": "call mom tomorrow 3pm", "now": "2026-11-21T09:00:00", "tz": "Europe/Bucharest"}),
        "not json",
        json.dumps({"now": "2026-11-21T09:00:00"}),
        json.dumps({"text": "lunch", "now": "soon", "tz": "UTC"}),
        json.dumps({"text": "lunch tomorrow", "tz": "Nowhere/Land"}),
        json.dumps({"text": "hello world", "now": "2026-11-21T09:00:00", "tz": "UTC"}),
        json.dumps({"text": "yoga mondays 7pm", "now": "2026-11-21T09:00:00", "tz": "Europe/Bucharest"}),
    ]) + "\n"
    out, _ = run("--jsonl", stdin=lines)
    answers = [json.loads(line) for line in out.splitlines()]
    assert len(answers) == 7
    assert answers[0]["start"] == "2026-11-22T15:00:00" and answers[0]["title"] == "call mom"
    assert set(answers[0]) == {"title", "start", "end", "all_day", "rrule", "tz", "location", "exdates"}
    for bad in answers[1:6]:
        assert set(bad) == {"error"} and bad["error"]
    assert answers[6]["rrule"] == "FREQ=WEEKLY;BYDAY=MO"


def test_jsonl_answers_before_the_next_line_is_sent(tmp_path):
    env = dict(os.environ, DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="calendar_p2p.settings")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "parse", "--jsonl", "--tz", "Europe/Bucharest"],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        for text, start in [("dentist dec 5 at 14:30", "2026-12-05T14:30:00"),
                            ("standup every weekday at 9:15", "2026-11-23T09:15:00")]:
            proc.stdin.write(json.dumps({"text": text, "now": "2026-11-21T09:00:00"}) + "\n")
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline())["start"] == start
        proc.stdin.write("{broken\n")
        proc.stdin.flush()
        assert "error" in json.loads(proc.stdout.readline())
    finally:
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
        proc.stdout.close()
        proc.stderr.close()
