"""Real instances: daphne processes on loopback, driven through manage.py."""

import json
import shutil
import urllib.request

import pytest

from devtools.instances import Instance, check_log, seed, wait_until

pytestmark = pytest.mark.slow


def converged(*instances):
    vectors = [i.vector() for i in instances]
    return all(v == vectors[0] for v in vectors) and vectors[0]


def titles(inst):
    found = json.loads(inst.manage("query", "2026-12-01", "2026-12-08", "--tz", "UTC", "--json"))
    return {o["title"] for o in found}


def pair(a, b):
    """b pairs with a by invite."""
    out = b.manage("pair", a.manage("invite").strip())
    assert out.startswith("paired with a") or "paired with" in out


def own(inst) -> int:
    """How many entries an instance wrote before the test: its key and its Personal calendar, made at setup
    (read before it pairs, when the only feed it holds is its own)."""
    [seq] = inst.vector().values()
    return seq


def public(*instances):
    """A public calendar on each: every peer may then relay its feed to every other (docs/PROTOCOL.md section
    6.6); without one a feed goes only to its author's paired peers and the members of its calendars."""
    for inst in instances:
        inst.manage("calendars", "--create", "Club", "--public")


@pytest.mark.postgres_too
def test_it_pairs_by_invite_and_converges(spawn, instance_template, tmp_path):
    a, b = spawn("a"), spawn("b")
    own_a, own_b = own(a), own(b)
    a.append("a1", "a2")
    b.append("b1")
    invite = a.manage("invite").strip()
    page = urllib.request.urlopen(invite).read().decode()
    assert "manage.py pair" in page and invite in page
    assert "paired with a" in b.manage("pair", invite)
    wait_until(lambda: converged(a, b) and len(a.vector()) == 2, 20, message="a and b converge")
    a.append("a3")
    b.append("b2")
    total = own_a + own_b + 5
    wait_until(lambda: converged(a, b) and sum(a.vector().values()) == total, 20, message="live entries")

    def settled(peer: dict) -> bool:
        # The counts are saved with the peer's status every STATUS_INTERVAL: a status
        # saved before the last entries arrived may already say the peer lacks nothing.
        return peer["connected"] and peer["peer_lacks"] == 0 and peer["entries_received"] == own_b + 2

    status = wait_until(lambda: (s := a.peers()) and settled(s["peers"][0]) and s, 10)
    peer = status["peers"][0]
    assert (peer["name"], peer["url"], peer["state"]) == ("b", b.url, "paired")
    assert peer["entries_received"] == own_b + 2 and peer["entries_sent"] >= own_a + 3
    # calendar events written beside the servers show up in the other's index: each shares its Personal calendar
    a.manage("calendars", "--share", "Personal", "--with", "b", "--role", "details")
    b.manage("calendars", "--share", "Personal", "--with", "a", "--role", "details")
    a.manage("add", "--title", "lunch with b", "--start", "2026-12-03T12:00", "--end", "2026-12-03T13:00", "--tz", "UTC")
    b.manage("add", "--title", "dinner with a", "--start", "2026-12-04T19:00", "--end", "2026-12-04T21:00", "--tz", "UTC")
    # cheap: no process per poll
    wait_until(lambda: converged(a, b) and sum(a.vector().values()) == total + 4, 20, message="both shares and events replicated")
    wait_until(lambda: titles(a) == titles(b) == {"lunch with b", "dinner with a"}, 20, message="events on both calendars")
    # the invite was single-use (`manage.py pair` dials from its own process: c needs no server)
    c = Instance(tmp_path / "c", instance_template, name="c")
    with pytest.raises(RuntimeError, match="bad-invite|used"):
        c.manage("pair", invite)


@pytest.mark.postgres_too
def test_it_gossips_along_a_line_both_ways(spawn):
    a, b, c = spawn("a"), spawn("b"), spawn("c")
    public(a, c)
    pair(a, b)
    pair(b, c)
    a.append("from a")
    c.append("from c")
    wait_until(lambda: converged(a, b, c) and len(a.vector()) == 3, 30, message="a-b-c converge")
    assert a.author() not in {p["author"] for p in c.peers()["peers"]}
    assert c.author() in a.vector() and a.author() in c.vector()  # through b, both ways


@pytest.mark.postgres_too
def test_it_catches_up_after_a_peer_was_down(spawn):
    a, b, c = spawn("a"), spawn("b"), spawn("c")
    public(a, c)
    pair(a, b)
    pair(b, c)
    a.append("a0")
    wait_until(lambda: converged(a, b, c) and len(a.vector()) == 3, 30, message="first convergence")
    first = sum(a.vector().values())
    b.stop()
    a.append("a1", "a2")
    c.append("c1")
    out = b.manage("sync", "--once", "--json")  # one-shot, without the server
    assert all(r["ok"] for r in json.loads(out))
    held = [a.vector(), c.vector()]  # c may still be storing what b just relayed to it
    assert b.vector() == {k: max(v.get(k, 0) for v in held) for k in held[0].keys() | held[1].keys()}
    a.append("a3")
    b.start()
    wait_until(lambda: converged(a, b, c) and sum(a.vector().values()) == first + 4, 40, message="convergence after restart")
    check_log(b)


@pytest.mark.postgres_too
def test_it_pairs_by_plain_url_after_approval(spawn):
    a, b = spawn("a"), spawn("b")
    a.append("a1")
    b.append("b1")
    out = b.manage("pair", a.url)
    assert "approve" in out
    requests = a.peers()["requests"]
    assert [(r["name"], r["url"], r["direction"]) for r in requests] == [("b", b.url, "incoming")]
    assert not a.peers()["peers"]
    a.manage("peers", "--approve", str(requests[0]["id"]))
    wait_until(lambda: converged(a, b) and len(a.vector()) == 2, 30, message="approved peers converge")
    assert [p["name"] for p in b.peers()["peers"]] == ["a"]
    assert b.peers()["requests"] == []


@pytest.mark.postgres_too
def test_it_resumes_after_being_killed_while_storing_a_big_batch(spawn):
    a, b = spawn("a"), spawn("b")
    own_b = own(b)
    seed(a, 20_000, authors=4)
    total = sum(a.vector().values()) + own_b  # a's, the 4 seeded feeds, and b's own
    pair(a, b)
    wait_until(lambda: own_b < sum(b.vector().values()) < total, 60, interval=0.02, message="b storing")
    b.kill()
    partial = check_log(b)
    assert own_b < partial < total
    b.start()
    wait_until(lambda: converged(a, b), 90, message="sync resumed")
    assert check_log(b) == total


def test_a_restored_backup_gets_its_own_feed_back_without_forking(spawn):
    a, b = spawn("a"), spawn("b")
    own_a, own_b = own(a), own(b)
    both = own_a + own_b  # what each wrote at setup
    pair(a, b)
    a.append("a1", "a2")
    wait_until(lambda: converged(a, b) and sum(a.vector().values()) == both + 2, 20, message="first sync")
    a.stop()
    backup = a.data_dir.parent / "a-backup"
    backup.mkdir()
    for f in a.data_dir.glob("*.sqlite3*"):  # with the WAL files
        shutil.copy2(f, backup / f.name)
    a.start()
    a.append("a3", "a4", "a5")
    wait_until(lambda: converged(a, b) and sum(b.vector().values()) == both + 5, 20, message="b holds a's 5 entries")
    a.stop()
    for f in a.data_dir.glob("*.sqlite3*"):
        f.unlink()
    for f in backup.iterdir():
        shutil.copy2(f, a.data_dir / f.name)
    assert sum(a.vector().values()) == both + 2
    a.start()
    wait_until(lambda: sum(a.vector().values()) == both + 5, 20, message="a gets its own entries back")
    wait_until(lambda: a.peers()["self"]["writes_held"] is None, 10, message="writes released")
    a.append("a6")
    wait_until(lambda: converged(a, b) and sum(b.vector().values()) == both + 6, 20, message="a6 reaches b")
    assert check_log(b) == both + 6
    assert "[]" in b.run_python("from events import log; print([f.author for f in log.fork_evidence()])")
