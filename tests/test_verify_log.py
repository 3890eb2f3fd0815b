"""manage.py verify_log: every entry and chain re-checked; the index against a rebuild."""

import json
from io import StringIO

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError

from events import calendar, log, log_rows
from events.entry import sign_entry
from events.models import IndexKey
from events.verify import verify_log

pytestmark = pytest.mark.django_db(databases=["default", "index"])


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_passes_a_sound_log_and_index():
    calendar.create_event(title="lunch", start="2026-03-05T12:00", tz="UTC")
    key = Ed25519PrivateKey.generate()
    first = sign_entry(key, seq=1, prev=None, body={"type": "note"}, time=1)
    log.receive([first, sign_entry(key, seq=2, prev=first.hash, body={"type": "note"}, time=2)])
    out = json.loads(run("verify_log", "--index", "--json"))
    # our feed: the key and Personal calendar entries written before the first event, and the event;
    # then the other feed's two notes
    assert len(list(log.read_feed(log.my_author_id()))) == 3
    assert out == {"ok": True, "entries": 5, "feeds": 2, "problems": []}
    assert "every entry and chain verifies" in run("verify_log")


def test_it_names_a_broken_chain_and_a_forged_entry():
    key = Ed25519PrivateKey.generate()
    first = sign_entry(key, seq=1, prev=None, body={"type": "note"}, time=1)
    log.receive([first])
    stray = sign_entry(key, seq=2, prev="0" * 64, body={"type": "note"}, time=2)  # bypasses receive
    forged = json.loads(sign_entry(Ed25519PrivateKey.generate(), seq=1, prev=None, body={"type": "note"}, time=3).raw)
    forged["body"]["text"] = "changed after signing"
    from events.canonical import canonical

    log_rows.insert([log_rows.row(stray), ("f" * 64, forged["author"], 1, canonical(forged).decode())])
    report = verify_log()
    assert not report.ok
    text = "\n".join(report.problems)
    assert "entry 2: invalid (prev)" in text and "invalid (signature)" in text and "feed head says entry 1" in text
    with pytest.raises(CommandError, match="problem"):
        run("verify_log")


def test_it_notices_an_index_that_drifted_from_the_log():
    made = calendar.create_event(title="lunch", start="2026-03-05T12:00", tz="UTC")
    IndexKey.objects.using("index").filter(uid=made.uid).update(conflict=True)
    with pytest.raises(CommandError):
        run("verify_log", "--index")
    call_command("rebuild_index", stdout=StringIO())
    assert json.loads(run("verify_log", "--index", "--json"))["ok"]
