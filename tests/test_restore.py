"""Writes wait while our own feed may be stale (docs/PROTOCOL.md section 3.4), in process.

A restore is played by making the record of our last write (events/own_head.py)
disagree with the database, as copying an older database back does; the live
test with real processes is tests/test_restore_live.py.
"""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from devtools.feeds import FeedWriter
from events import local_writes, log, own_head
from events.models import ForkEvidence

# Transactional: the record of our head is written once a write commits.
pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


def peers_output(*args) -> str:
    out = io.StringIO()
    call_command("peers", *args, stdout=out)
    return out.getvalue()


def restored_after(entries: list, lost: int) -> None:
    """Make the record say we wrote `lost` more entries than the database holds:
    what the data directory looks like when only the database was copied back."""
    writer = FeedWriter(log.signing_key(), seq=entries[-1].seq, prev=entries[-1].hash)
    later = [writer.write({"type": "note", "lost": i}, time=1_795_000_000_000) for i in range(lost)]
    own_head.write_record(author=log.my_author_id(), seq=later[-1].seq, head=later[-1].hash)


def test_a_fresh_instance_and_a_normal_restart_sign_at_once():
    first = log.append_local({"type": "note", "n": 1})
    assert own_head.read_record()["seq"] == 1  # recorded next to the database
    assert local_writes.doubt() is None
    # a restart reads the same record and the same database: nothing to doubt
    assert log.append_local({"type": "note", "n": 2}).seq == first.seq + 1
    assert local_writes.waiting() is None and log.writes_held_reason() is None


def test_a_missing_record_is_no_reason_to_wait(own_head_dir):
    log.append_local({"type": "note"})
    (own_head_dir / own_head.RECORD).unlink()  # written by a version that kept no record
    assert log.append_local({"type": "note"}).seq == 2


def test_a_restored_database_makes_writes_wait_visibly():
    mine = [log.append_local({"type": "note", "n": i}) for i in range(3)]
    restored_after(mine, 2)
    with pytest.raises(log.WriteQueued, match="queued") as raised:
        log.append_local({"type": "note", "n": "new"})
    text = str(raised.value)
    assert "restored" in text and "last wrote entry 5" in text and "manage.py peers --save-waiting" in text
    assert log.vector() == {log.my_author_id(): 3}  # nothing signed at the stale seq 4
    assert local_writes.waiting().count == 1
    assert "1 change waiting" in log.writes_held_reason()
    out = peers_output()
    assert "1 change waiting" in out and "--save-waiting" in out


def test_a_copied_database_file_makes_writes_wait(monkeypatch):
    log.append_local({"type": "note"})
    monkeypatch.setattr(own_head, "database_identity", lambda: "another file")
    assert "not the one this instance last wrote to" in local_writes.doubt()
    with pytest.raises(log.WriteQueued):
        log.append_local({"type": "note"})


def test_a_peer_confirming_our_head_signs_the_waiting_writes_in_order(monkeypatch):
    mine = [log.append_local({"type": "note", "n": i}) for i in range(3)]
    restored_after(mine, 1)
    assert local_writes.confirm(3) == 0  # we know we wrote entry 4: a peer without it confirms nothing
    own_head.write_record(author=mine[0].author, seq=3, head=mine[-1].hash)  # as if the database file were copied
    monkeypatch.setattr(own_head, "database_identity", lambda: "another file")
    for n in ("a", "b"):
        with pytest.raises(log.WriteQueued):
            log.append_local({"type": "note", "n": n})
    assert local_writes.confirm(2) == 0  # a peer behind us confirms nothing
    assert local_writes.confirm(4) == 0  # nor one ahead (we ask it for the entries first)
    assert local_writes.waiting().count == 2
    assert local_writes.confirm(3) == 2  # exactly our head: nothing newer exists
    signed = [e for e in log.all_entries() if e.seq > 3]
    assert [(e.seq, e.body["n"]) for e in signed] == [(4, "a"), (5, "b")]
    assert own_head.read_record()["seq"] == 5
    assert local_writes.waiting() is None and log.writes_held_reason() is None
    assert log.append_local({"type": "note"}).seq == 6


def test_a_later_write_waits_behind_the_earlier_ones():
    mine = [log.append_local({"type": "note"})]
    restored_after(mine, 1)
    with pytest.raises(log.WriteQueued):
        log.append_local({"type": "note", "n": "first"})
    with pytest.raises(log.WriteQueued, match=r"\(2 changes waiting\)"):
        log.append_local({"type": "note", "n": "second"})


def test_the_owner_goes_ahead():
    mine = [log.append_local({"type": "note"})]
    restored_after(mine, 3)
    with pytest.raises(log.WriteQueued):
        log.append_local({"type": "note", "n": "kept"})
    assert "saved 1 waiting change" in peers_output("--save-waiting")
    assert [e.body.get("n") for e in log.all_entries()][-1] == "kept"
    assert local_writes.doubt() is None  # the owner vouched for what the database holds
    assert log.append_local({"type": "note"}).seq == 3
    assert not ForkEvidence.objects.exists()


def test_a_write_signed_before_a_crash_is_not_signed_twice():
    mine = [log.append_local({"type": "note"})]
    restored_after(mine, 1)
    with pytest.raises(log.WriteQueued):
        log.append_local({"type": "note", "n": "once"}, time=1_795_000_000_000)
    # signed, then the process died before removing the waiting file
    local_writes._sign({"body": {"type": "note", "n": "once"}, "links": [], "time": 1_795_000_000_000}, decided=True)
    assert local_writes.go_ahead() == 0
    assert [e.body.get("n") for e in log.all_entries()].count("once") == 1


def test_after_the_bounded_wait_the_owner_is_asked():
    mine = [log.append_local({"type": "note"})]
    restored_after(mine, 1)
    with pytest.raises(log.WriteQueued):
        log.append_local({"type": "note"})
    since = local_writes.waiting().since
    early = local_writes.describe(now=since + dt.timedelta(seconds=5))
    late = local_writes.describe(now=since + local_writes.DECISION_WAIT)
    assert "No peer has confirmed" not in early
    assert "No peer has confirmed it within 30 seconds" in late and "--save-waiting" in late
    assert since <= timezone.now()


def test_the_peers_page_shows_the_waiting_writes_and_saves_them(owner_client):
    mine = [log.append_local({"type": "note"})]
    restored_after(mine, 1)
    with pytest.raises(log.WriteQueued):
        log.append_local({"type": "note", "n": "page"})
    page = owner_client.get("/peers/").content.decode()
    assert "1 change waiting" in page and "Save them now" in page
    assert "1 change waiting" in owner_client.get("/").content.decode()  # the banner of every page
    response = owner_client.post("/peers/save-waiting/", follow=True)
    assert "Saved 1 waiting change." in response.content.decode()
    assert local_writes.waiting() is None
    assert [e.body.get("n") for e in log.all_entries()][-1] == "page"


def test_a_write_rolled_back_with_its_transaction_records_nothing():
    """An .ics import refused whole rolls its writes back: the record must not
    then say we wrote further than the log holds, or every later write would wait."""
    from django.db import transaction

    log.append_local({"type": "note", "n": 1})
    with pytest.raises(RuntimeError), transaction.atomic():
        log.append_local({"type": "note", "n": 2})
        raise RuntimeError("refused whole")
    assert own_head.read_record()["seq"] == 1
    assert log.append_local({"type": "note", "n": 3}).seq == 2
    assert local_writes.doubt() is None


ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:one@example.com\r
DTSTART:20261201T090000Z\r
SUMMARY:One\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:two@example.com\r
DTSTART:20261202T090000Z\r
RRULE:FREQ=DAILY;COUNT=5\r
SUMMARY:Two\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:two@example.com\r
RECURRENCE-ID:20261203T090000Z\r
DTSTART:20261203T150000Z\r
SUMMARY:Two, later\r
END:VEVENT\r
END:VCALENDAR\r
"""


def test_an_import_signs_its_entries_together_and_records_the_head_once():
    from events.ics import importing

    report = importing.import_calendar(ICS)
    assert (report.created, report.occurrences_changed, report.entries_written) == (2, 1, 3)
    assert own_head.read_record()["seq"] == log.vector()[log.my_author_id()] == 3
    assert log.append_local({"type": "note"}).seq == 4  # the record matches: no doubt afterwards


def test_an_import_on_a_restored_instance_signs_nothing_and_says_why():
    from events.ics import importing

    mine = [log.append_local({"type": "note"})]
    restored_after(mine, 2)
    report = importing.import_calendar(ICS)
    assert "queued" in report.error and "restored" in report.error
    assert log.vector() == {log.my_author_id(): 1}  # nothing signed at the stale seq 2
    assert local_writes.waiting().count == 1  # the first change waits; the report says the rest was not imported
