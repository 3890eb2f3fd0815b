"""A restored backup never forks its own feed (docs/PROTOCOL.md section 3.4): real
daphne processes, the data directory copied back from an older copy."""

import json
import shutil
import subprocess

import pytest

from devtools.instances import PYTHON, REPO, check_log, wait_until

pytestmark = pytest.mark.slow

NO_FORKS = "from events import log; print(len(log.fork_evidence()))"


def pair(a, b):
    assert "paired with" in b.manage("pair", a.manage("invite").strip())


def add(inst, title: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "manage.py", "add", "--title", title, "--start", "2026-12-02T10:00", "--tz", "UTC"],
        cwd=REPO, env=inst.env, capture_output=True, text=True, timeout=120,
    )


def titles(inst) -> set[str]:
    found = json.loads(inst.manage("query", "2026-12-01", "2026-12-08", "--tz", "UTC", "--json"))
    return {o["title"] for o in found}


def restored(spawn, tmp_path):
    """a and b paired; a backed up after its first event, then writes another that
    reaches b; a's data directory copied back from the backup. Both are stopped."""
    a, b = spawn("a"), spawn("b")
    pair(a, b)
    assert add(a, "Before the backup").returncode == 0
    wait_until(lambda: b.vector().get(a.author()) == a.vector()[a.author()], 30, message="the first event reaches b")
    a.stop()
    backup = tmp_path / "a-backup"
    shutil.copytree(a.data_dir, backup)
    a.start()
    assert add(a, "After the backup").returncode == 0
    wait_until(lambda: b.vector().get(a.author()) == a.vector()[a.author()], 30, message="b holds all of a's feed")
    a.stop()
    b.stop()
    assert b.vector()[a.author()] == a.vector()[a.author()]
    lost = a.vector()[a.author()]
    # copied back as new files while the old ones still exist: a filesystem may give
    # a file the inode number of one just deleted, which would hide the restore
    copied = tmp_path / "a-restored"
    shutil.copytree(backup, copied)
    shutil.rmtree(a.data_dir)
    copied.rename(a.data_dir)
    return a, b, lost


def test_a_write_on_a_restored_instance_waits_for_its_peer_and_never_forks(spawn, tmp_path):
    a, b, lost = restored(spawn, tmp_path)
    a.start()
    me = a.author()
    held = a.vector()[me]
    assert held < lost
    written = add(a, "Written after the restore")
    assert written.returncode == 1
    said = written.stderr
    assert "not saved yet, queued" in said and "restored" in said and "manage.py peers --save-waiting" in said
    assert a.vector()[me] == held  # nothing signed at the stale seq
    status = a.peers()["self"]
    assert status["waiting_writes"] == 1 and "1 change waiting" in status["writes_held"]
    assert "Written after the restore" not in titles(a)
    b.start()  # b dials a: its `have` names a's feed at `lost`; a asks for its entries, then signs
    wait_until(lambda: a.vector()[me] == lost + 1, 40, message="a catches up and signs the waiting write")
    assert a.peers()["self"]["waiting_writes"] == 0
    wait_until(lambda: b.vector().get(me) == lost + 1, 30, message="the write reaches b")  # its audience aside
    assert {"Before the backup", "After the backup", "Written after the restore"} <= titles(a)
    assert a.run_python(NO_FORKS).strip() == b.run_python(NO_FORKS).strip() == "0"
    assert check_log(a) == check_log(b)


def test_with_no_peer_reachable_the_owner_decides(spawn, tmp_path):
    a, _b, lost = restored(spawn, tmp_path)
    a.start()
    me = a.author()
    held = a.vector()[me]
    assert add(a, "Only on a").returncode == 1
    assert add(a, "Also only on a").returncode == 1
    out = a.manage("peers")
    assert "2 changes waiting" in out and "--save-waiting" in out
    assert "saved 2 waiting change(s)" in a.manage("peers", "--save-waiting")
    assert a.vector()[me] == held + 2
    assert {"Only on a", "Also only on a"} <= titles(a)
    assert a.peers()["self"]["writes_held"] is None
    assert add(a, "Later").returncode == 0  # the owner's decision holds: writes are signed at once
    assert lost > held
