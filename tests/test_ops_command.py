"""manage.py ops: calendar operations from a JSON-lines script."""

import json
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from events import calendar, log
from events.index.fold import catch_up
from events.index.query import query

pytestmark = pytest.mark.django_db(databases=["default", "index"])


def event_entries():
    """The log's event writes: without the key and calendar entries an instance writes for itself on its first write."""
    return [e for e in log.all_entries() if e.body.get("type") in ("event.put", "event.del", "event.sealed")]


def run_script(tmp_path, ops, *, fails=False):
    path = tmp_path / "ops.jsonl"
    path.write_text("\n".join(o if isinstance(o, str) else json.dumps(o) for o in ops) + "\n")
    out = StringIO()
    if fails:
        with pytest.raises(CommandError, match="failed"):
            call_command("ops", str(path), stdout=out)
    else:
        call_command("ops", str(path), stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def titles(start="2026-03-01", end="2026-03-10"):
    found = query(date.fromisoformat(start), date.fromisoformat(end), "UTC").occurrences
    return [(o.title, o.recurrence_id) for o in found]


def test_it_applies_every_kind_of_operation_in_order(tmp_path):
    uid = "standup@test"
    results = run_script(tmp_path, [
        {"op": "create", "uid": uid, "event": {"title": "standup", "start": "2026-03-02T09:00", "tz": "UTC",
                                               "rrule": "FREQ=DAILY;COUNT=5"}},
        {"op": "edit", "uid": uid, "changes": {"title": "stand-up"}},
        {"op": "edit_occurrence", "uid": uid, "recurrence_id": "2026-03-03T09:00", "changes": {"title": "moved"}},
        {"op": "cancel", "uid": uid, "recurrence_id": "2026-03-04T09:00:00"},
        {"op": "resolve", "uid": uid},
    ])
    assert [r["ok"] for r in results] == [True] * 5
    assert results[2]["recurrence_id"] == "2026-03-03T09:00:00"
    stored = {e.hash for e in event_entries()}
    assert {r["hash"] for r in results} == stored
    assert titles() == [("stand-up", "2026-03-02T09:00:00"), ("moved", "2026-03-03T09:00:00"),
                        ("stand-up", "2026-03-05T09:00:00"), ("stand-up", "2026-03-06T09:00:00")]
    assert run_script(tmp_path, [{"op": "delete", "uid": uid}])[0]["ok"]
    assert titles() == []


def test_a_failed_operation_changes_nothing_and_the_others_still_run(tmp_path):
    results = run_script(tmp_path, [
        {"op": "edit", "uid": "nobody@test", "changes": {"title": "x"}},
        "{not json",
        {"op": "create", "event": {"title": "bad", "start": "2026-03-02T09:00", "end": "2026-03-02T08:00", "tz": "UTC"}},
        {"op": "create", "event": {"title": "fine", "start": "2026-03-02T09:00", "tz": "UTC", "colour": "red"}},
        {"op": "teleport"},
        {"op": "create", "event": {"title": "fine", "start": "2026-03-02T09:00", "tz": "UTC"}},
    ], fails=True)
    assert [r["ok"] for r in results] == [False] * 5 + [True]
    assert "no event" in results[0]["error"] and "not JSON" in results[1]["error"]
    assert "before start" in results[2]["error"] and "unknown op" in results[4]["error"]
    assert len(event_entries()) == 1  # and besides it only the instance's key and its Personal calendar:
    assert sorted(e.body["type"] for e in log.all_entries()) == ["calendar", "event.sealed", "key.publish"]


def test_resolve_all_ends_every_conflict(tmp_path):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from events.entry import sign_entry

    # in the legacy calendar, which the other writer may write too (ops creates in Personal, ours alone)
    made = calendar.create_event(title="a", start="2026-03-02", all_day=True, uid="u@test", calendar="")
    other = sign_entry(Ed25519PrivateKey.generate(), seq=1, prev=None, links=[made.entry.hash], time=1, body={
        "type": "event.put", "uid": "u@test", "recurrence_id": None,
        "event": {"title": "b", "start": "2026-03-02", "end": "2026-03-03", "all_day": True, "tz": None, "rrule": None,
                  "exdates": [], "location": None, "description": None}})
    mine = run_script(tmp_path, [{"op": "edit", "uid": "u@test", "changes": {"title": "c"}}])
    log.receive([other])
    catch_up()
    assert [o.conflict for o in query(date(2026, 3, 1), date(2026, 3, 5)).occurrences] == [True]
    results = run_script(tmp_path, [{"op": "resolve_all"}])
    assert results[0]["ok"] and len(results[0]["written"]) == 1 and mine[0]["ok"]
    assert [o.conflict for o in query(date(2026, 3, 1), date(2026, 3, 5)).occurrences] == [False]


def test_split_changes_an_occurrence_and_the_following_ones(tmp_path):
    uid = "standup@test"
    results = run_script(tmp_path, [
        {"op": "create", "uid": uid, "event": {"title": "standup", "start": "2026-03-02T09:00", "tz": "UTC",
                                               "rrule": "FREQ=DAILY;COUNT=5"}},
        {"op": "split", "uid": uid, "recurrence_id": "2026-03-04T09:00", "changes": {"title": "late standup",
                                                                                     "start": "2026-03-04T10:00"}},
        {"op": "split", "uid": uid, "recurrence_id": "2026-03-09T09:00", "changes": {"title": "x"}},
        {"op": "split", "uid": uid, "changes": {"title": "x"}},
    ], fails=True)
    assert [r["ok"] for r in results] == [True, True, False, False]
    new = results[1]["uid"]
    assert new != uid and [w["uid"] for w in results[1]["written"]] == [new, uid]
    assert "is not an occurrence" in results[2]["error"] and "recurrence_id" in results[3]["error"]
    assert [(t, rid[8:16]) for t, rid in titles()] == [
        ("standup", "02T09:00"), ("standup", "03T09:00"),
        ("late standup", "04T10:00"), ("late standup", "05T10:00"), ("late standup", "06T10:00")]
