"""Corruption is loud and contained (docs/reliability.md, "Corruption").

A stored entry whose bytes changed (a flipped bit on disk) is found by the
quick check at start, shown on every owner page, and never sent to a peer;
a peer that keeps refusing one of our entries is not sent it again in a
loop; `verify_log` and `export_log` on a damaged SQLite file say so in one
line.
"""

import asyncio
import io
import sqlite3
import subprocess

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from events import health, log
from sync import protocol, refusals
from tests.conftest import TRIGGERS
from tests.peer_client import db

pytestmark = [pytest.mark.django_db(transaction=True, databases=["default", "index"]), pytest.mark.usefixtures("flushable_log")]


@pytest.fixture(autouse=True)
def own_health_file(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # the health file only; the key is already loaded


def damage(entry, *, at: int = 40) -> None:
    """Flip one byte of a stored entry, past the append-only triggers, as a bad disk would."""
    raw = entry.raw.decode()
    flipped = raw[:at] + ("0" if raw[at] != "0" else "1") + raw[at + 1:]
    on_table = " ON log_entry" if connection.vendor == "postgresql" else ""  # PostgreSQL names the table
    with connection.cursor() as cur:
        for name in TRIGGERS:
            cur.execute(f"DROP TRIGGER IF EXISTS {name}{on_table}")
        cur.execute("UPDATE log_entry SET raw = %s WHERE hash = %s", [flipped, entry.hash])


def peers_text() -> str:
    out = io.StringIO()
    call_command("peers", stdout=out)
    return out.getvalue()


def test_the_quick_check_finds_a_flipped_byte_and_every_owner_page_says_so(owner_client):
    mine = [log.append_local({"type": "note", "n": i}) for i in range(5)]
    assert health.quick_check() == [] and health.check_at_start() == []
    assert "damaged" not in owner_client.get("/").content.decode()
    damage(mine[2])
    found = health.check_at_start()
    assert len(found) == 1 and "entry 3 of" in found[0]
    for url in ("/", "/week/", "/agenda/", "/conflicts/", "/calendars/", "/peers/", "/settings/"):
        page = owner_client.get(url).content.decode()
        assert "The log is damaged" in page and "entry 3 of" in page and "manage.py verify_log" in page, url
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_log", stdout=io.StringIO(), stderr=io.StringIO())
    assert "entry 3" in health.banner()


def test_a_clean_verify_log_clears_the_banner_and_a_clean_start_clears_only_its_own_finding(owner_client):
    log.append_local({"type": "note"})
    health.record(["at start: something"], source="start")
    health.check_at_start()
    assert health.banner() is None
    health.record(["found while serving"], source="server")
    health.check_at_start()
    assert health.banner() == "found while serving"
    call_command("verify_log", stdout=io.StringIO())
    assert health.banner() is None and "damaged" not in owner_client.get("/").content.decode()


def test_a_broken_health_file_is_itself_shown_not_a_500(owner_client, tmp_path):
    (tmp_path / health.HEALTH_FILE).write_text("{not json")
    page = owner_client.get("/")
    assert page.status_code == 200 and "cannot be read" in page.content.decode()


async def test_a_damaged_entry_is_never_sent_and_the_feed_is_held_back(paired_peer):
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(3)]
    await db(damage, mine[1])
    c, _ = await paired_peer.session()
    frame = await c.recv_type("entries")
    assert [e["seq"] for e in frame["entries"]] == [1]
    await c.send(protocol.ack({mine[0].author: 1}))
    assert await c.quiet(0.5)
    assert "entry 2 of" in await db(health.banner)
    assert "damaged in our log" in refusals.of(paired_peer.id).describe()
    await c.close()


async def test_a_peer_that_keeps_refusing_an_entry_gets_it_with_backoff_then_not_at_all(paired_peer, monkeypatch):
    monkeypatch.setattr(refusals, "RETRY_DELAYS", (0.3, 0.3, 0.3))
    mine = [await db(log.append_local, {"type": "note", "n": i}) for i in range(2)]
    c, _ = await paired_peer.session()
    tries = 0
    while True:
        frame = await c.recv_type("entries", timeout=3)
        assert frame["entries"][0]["seq"] == 1
        tries += 1
        await c.send(protocol.error("bad-entry", "rule bounds: not in my version", mine[0].hash))
        await c.send(protocol.ack({mine[0].author: 0}))
        await c.send(protocol.want({mine[0].author: 0}))
        if not await c.quiet(0.15):  # never sent again at once
            pytest.fail("sent again without waiting")
        if tries == 4:
            break
    assert await c.quiet(1.0)  # the fourth refusal: skipped for this peer
    assert "refused entry 1 4 times" in refusals.of(paired_peer.id).describe()
    await c.send(protocol.error("bad-entry", "an entry we never had", "ab" * 32))
    await c.send(protocol.error("bad-entry", "a hash that is no hash", "x" * 5000))
    assert await c.quiet(0.3) and set(refusals.of(paired_peer.id).feeds) == {mine[0].author}
    await c.close()
    await asyncio.sleep(0.2)
    assert "not sent for now" in await db(peers_text) and "refused entry 1 4 times" in await db(peers_text)
    # the peer shows it got the entry elsewhere: the feed goes to it again
    c, _ = await paired_peer.session()
    await c.send(protocol.have({mine[0].author: 1}))
    frame = await c.recv_type("entries", timeout=3)
    assert [e["seq"] for e in frame["entries"]] == [2]
    await c.close()


def corrupt_pages(path, *, first_page: int, pages: int, page_size: int = 4096) -> None:
    with open(path, "r+b") as f:
        f.seek(first_page * page_size)
        f.write(b"\xa5" * page_size * pages)


@pytest.mark.slow
def test_verify_log_and_export_log_on_a_damaged_database_file_say_so_in_one_line(tmp_path, instance_template):
    from devtools.instances import PYTHON, REPO, Instance

    inst = Instance(tmp_path / "damaged", instance_template, name="damaged")
    inst.run_python("from events import log\nfor i in range(400): log.append_local({'type': 'note', 'text': 'x' * 900})")
    inst.manage("verify_log")
    db_file = inst.data_dir / "calendar.sqlite3"
    with sqlite3.connect(db_file) as con:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db_file.stat().st_size // 4096
    corrupt_pages(db_file, first_page=size // 2, pages=8)
    out = tmp_path / "bundle.jsonl"
    for args in (("verify_log",), ("export_log", "-o", str(out))):
        done = subprocess.run([PYTHON, "manage.py", *args], env=inst.env, capture_output=True, text=True, cwd=REPO)
        lines = done.stderr.strip().splitlines()
        print(args[0], done.returncode, lines[-1][:200] if lines else "")
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "database" in done.stderr and len(lines[-1]) < 2100
    assert not out.exists() and not (tmp_path / "bundle.jsonl.partial").exists()
