"""Crash safety: SIGKILL at random moments, then the log verifies, the index
equals a rebuild, nothing acknowledged is lost and sync resumes.

Three moments: while an instance stores a large incoming sync, while the
index catches up (a big `import_log`, and an instance folding a big log at
start), and while a local write is in progress (`manage.py ops`, sometimes
with the server killed too). 3 trials each; 20 with `--long`.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
from collections import Counter

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from devtools.instances import PYTHON, REPO, seed, wait_until
from events.entry import sign_entry

pytestmark = pytest.mark.slow

FIGURES: Counter = Counter()


@pytest.fixture(scope="module", autouse=True)
def report_figures():
    yield
    print("crash figures", json.dumps(dict(sorted(FIGURES.items()))))


@pytest.fixture
def trials(long_mode):
    return 20 if long_mode else 3


@pytest.fixture
def rng():
    value = int(os.environ.get("CRASH_SEED") or random.randrange(10**6))
    print(f"crash seed {value} (replay: CRASH_SEED={value})")
    return random.Random(value)


def pair(a, b):
    """b pairs with a by invite."""
    assert "paired with" in b.manage("pair", a.manage("invite").strip())


def verified(inst) -> dict:
    """verify_log --index on a stopped or running instance: every chain and the index."""
    report = json.loads(inst.manage("verify_log", "--index", "--json", check=False) or "{}")
    assert report.get("ok"), f"{inst.name}: {report.get('problems', report)}"
    return report


def count(inst) -> int:
    with sqlite3.connect(f"file:{inst.data_dir / 'calendar.sqlite3'}?mode=ro", uri=True, timeout=30) as db:
        return db.execute("select count(*) from log_entry").fetchone()[0]


def index_cursor(inst) -> int:
    with sqlite3.connect(f"file:{inst.data_dir / 'index.sqlite3'}?mode=ro", uri=True, timeout=30) as db:
        row = db.execute("select arrival from index_cursor").fetchone()
    return row[0] if row else 0


def calendar_bundle(path, n: int) -> set[str]:
    """A bundle of `n` calendar entries by a fresh author: events, some repeating, some edited."""
    key, prev, hashes = Ed25519PrivateKey.generate(), None, []
    with open(path, "wb") as out:
        for seq in range(1, n + 1):
            k = seq // 2 if seq % 4 == 0 else seq  # every fourth entry edits an earlier event
            links = [hashes[k - 1]] if k != seq and k <= len(hashes) and k % 4 else []
            day = 1 + seq % 28
            event = {"title": f"bulk {seq}", "start": f"2026-05-{day:02d}T09:00:00", "end": f"2026-05-{day:02d}T10:00:00",
                     "tz": "Europe/Bucharest", "all_day": False, "rrule": "FREQ=WEEKLY;COUNT=8" if seq % 5 == 0 else None,
                     "exdates": [], "location": None, "description": None}
            body = {"type": "event.put", "uid": f"bulk{k}@crash", "recurrence_id": None, "event": event}
            e = sign_entry(key, seq=seq, prev=prev, body=body, links=links, time=1_795_000_000_000 + seq)
            prev = e.hash
            hashes.append(e.hash)
            out.write(e.raw + b"\n")
    return set(hashes)


def kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:  # it had already finished
        pass
    proc.wait()


def _read_lines(proc, lines: list[str]) -> None:
    lines.extend(proc.stdout)


def _write_script(proc, script: str) -> None:
    try:
        proc.stdin.write(script)
        proc.stdin.close()
    except (BrokenPipeError, OSError, ValueError):  # killed before it read everything
        pass


def test_killed_while_storing_a_large_incoming_sync(spawn, trials, rng):
    a = spawn("a")
    seed(a, 8_000, authors=4)
    total = count(a)
    for trial in range(trials):
        b = spawn(f"b{trial}")
        own = count(b)  # its key and its Personal calendar, written at setup
        pair(a, b)
        wait_until(lambda b=b, own=own: count(b) > own, 60, interval=0.01, message="b starts storing")
        time.sleep(rng.uniform(0, 0.8))  # the point: a random kill moment while b stores (waits for nothing)
        held = count(b)
        b.kill()
        FIGURES["sync kills"] += 1
        FIGURES["sync kills mid-way"] += own < held < own + total
        verified(b)
        b.start()
        wait_until(lambda b=b, own=own: count(b) == own + total, 90, message="sync resumed after the kill")
        assert verified(b)["entries"] == own + total
        b.kill()


def test_killed_while_the_index_catches_up(spawn, tmp_path, trials, rng):
    bundle = tmp_path / "bundle.jsonl"
    hashes = calendar_bundle(bundle, 3_000)
    a = spawn("a")
    instances = [a]
    for trial in range(trials):
        b = spawn(f"b{trial}")
        instances.append(b)
        pair(a, b)
        # 1. import_log stores and folds batch after batch: kill it at a random moment
        proc = subprocess.Popen([PYTHON, "manage.py", "import_log", str(bundle)], cwd=REPO, env=b.env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(rng.uniform(0.5, 1.5))  # the point: a random kill moment during import_log
        FIGURES["import_log kills mid-way"] += proc.poll() is None
        kill_group(proc)
        FIGURES["import_log kills"] += 1
        verified(b)  # catches the index up from its cursor, then compares it with a rebuild
        # 2. entries stored with no index work (the rest of the bundle, a new author's):
        # the server folds them when it starts
        more = tmp_path / f"more{trial}.jsonl"
        hashes |= calendar_bundle(more, 3_000)
        b.stop()
        b.run_python("from events.bundle import import_bundle\n"
                     f"for f in ({str(bundle)!r}, {str(more)!r}): import_bundle(open(f, 'rb'))")
        cursor = index_cursor(b)
        behind = count(b) > cursor
        b.launch()  # the server folds what the index lacks as soon as it runs
        if behind:
            wait_until(lambda b=b, c=cursor: index_cursor(b) > c, 30, interval=0.01, message="catch-up starts")
        time.sleep(rng.uniform(0, 0.15))  # the point: a random kill moment during the start-up catch-up
        FIGURES["start-up catch-up kills mid-way"] += behind and index_cursor(b) < count(b)
        b.kill()
        FIGURES["start-up catch-up kills"] += 1
        verified(b)
        b.start()
        # a holds every feed b holds (b holds the earlier b's feeds only if it is in their audience: it is not)
        wait_until(lambda b=b, h=frozenset(hashes): h <= a.hashes() and b.vector().items() <= a.vector().items(), 90,
                   message="a gets the entries from b")
        b.kill()
    setup = sum(a.vector()[inst.author()] for inst in instances)  # each instance's key and Personal calendar
    assert verified(a)["entries"] == len(hashes) + setup


def test_killed_while_a_local_write_is_in_progress(spawn, trials, rng):
    a = spawn("a")
    b = spawn("b")
    pair(a, b)
    acked: set[str] = set()
    for trial in range(trials):
        ops = [{"op": "create", "event": {"title": f"t{trial} e{i}", "start": f"2026-07-{1 + i % 28:02d}T08:00",
                                          "tz": "UTC", "rrule": "FREQ=DAILY;COUNT=3" if i % 3 else None}}
               for i in range(400)]
        proc = subprocess.Popen([PYTHON, "manage.py", "ops", "-"], cwd=REPO, env=b.env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        lines: list[str] = []
        script = "".join(json.dumps(op) + "\n" for op in ops)
        reader = threading.Thread(target=_read_lines, args=(proc, lines), daemon=True)
        writer = threading.Thread(target=_write_script, args=(proc, script), daemon=True)
        reader.start()
        writer.start()
        time.sleep(rng.uniform(0.5, 2.0))  # the point: a random kill moment during the writes
        also_server = rng.random() < 0.5
        kill_group(proc)
        if also_server:
            b.kill()
        proc.wait()
        reader.join(5)
        done = [json.loads(line) for line in lines if line.startswith("{")]
        FIGURES["local write kills"] += 1
        FIGURES["local write kills mid-way"] += 0 < len(done) < len(ops)
        FIGURES["local write kills with the server"] += also_server
        acked |= {r["hash"] for r in done if r["ok"]}
        verified(b)
        if also_server:
            b.start()
        assert acked <= b.hashes(), "an acknowledged write is missing after the kill"
        wait_until(lambda want=frozenset(acked): want <= a.hashes() and a.vector() == b.vector(), 60, message="a gets b's writes")
    FIGURES["acknowledged local writes kept"] += len(acked)
