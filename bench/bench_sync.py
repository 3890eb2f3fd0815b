"""Replication between two real instances on loopback (DESIGN: performance targets).

    python -m bench sync            (BENCH_SYNC_ENTRIES=100000 by default)

Prints, beside references measured in the same run:
- initial sync rate vs one core verifying Ed25519 signatures alone (target >= 100%:
  the receiver verifies on both cores while it writes);
- median time from a write on one side until its event is in the other side's
  index, where its pages and `query` read it (target < 10 ms);
- bytes exchanged on a reconnect with nothing new, small log vs big log (target: equal);
- peak RSS (VmHWM) of each instance during the big sync (target < 200 MB).

Instances are started by `devtools.instances`, the same launcher the
multi-process tests use: it lives outside tests/ so benchmarks need not
import the test suite.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.harness import around, instance_services, target, verify_rate  # noqa: E402
from devtools.instances import Instance, seed, wait_until  # noqa: E402

AUTHORS = 4
LATENCY_SAMPLES = 30

# An event written into the legacy calendar by a process of its own beside the
# server (as a script or an import does); the server's hub folds it into its index.
WRITER = """
import os, sys, uuid, django
django.setup()
from events import log
for line in sys.stdin:
    uid = uuid.uuid4().hex
    event = {"title": line.strip(), "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00",
             "tz": "Europe/Bucharest", "all_day": False, "rrule": None}
    log.append_local({"type": "event.put", "uid": uid, "recurrence_id": None, "event": event})
    print(uid, flush=True)
"""


def pair(a: Instance, b: Instance) -> None:
    b.manage("pair", a.manage("invite").strip())


def total(inst: Instance) -> int:
    return sum(inst.vector().values())


def reconnect_bytes(b: Instance) -> int:
    """Bytes both ways when b (stopped) reconnects with nothing new."""
    [result] = json.loads(b.manage("sync", "--once", "--json"))
    assert result["ok"], result
    return result["bytes_sent"] + result["bytes_received"]


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (the verify workers), from /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if stat.parent.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def wait_quiet(*instances: Instance, window: float = 0.5, timeout: float = 30) -> None:
    """Until the instances use under a tenth of a core: after the last entry is
    counted, the receiver still folds its last frames and saves its statuses,
    and a reference measured meanwhile would read the machine slower than it is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        used = sum(cpu_seconds(i.pid) for i in instances)
        time.sleep(window)
        if sum(cpu_seconds(i.pid) for i in instances) - used < window / 10:
            return


def pair_of(root: Path, template: Path, tag: str, n: int) -> tuple[Instance, Instance, float, float, float]:
    """Two instances, `n` entries on the first; pair them and time the initial sync:
    (a, b, seconds from typing `manage.py pair` to done, entries per second from
    the first received entry seen to done, the one-core verify rate around the sync)."""
    a = Instance(root / f"{tag}-a", template, name=f"{tag}-a", services=instance_services(f"{tag}_a"))
    b = Instance(root / f"{tag}-b", template, name=f"{tag}-b", services=instance_services(f"{tag}_b"))
    seed(a, n, authors=AUTHORS)
    a.start()
    b.start()
    held_by_a = a.vector()
    want = sum(held_by_a.values())

    def received() -> int:  # of a's feeds only: b holds entries of its own from the start
        return sum(seq for author, seq in b.vector().items() if author in held_by_a)

    wait_quiet(a, b)
    before = verify_rate()
    started = time.perf_counter()
    pair(a, b)
    wait_until(lambda: received() > 0, 60, interval=0.01, message="first entries")
    first, already = time.perf_counter(), received()
    wait_until(lambda: received() >= want, 3600, interval=0.05, message="initial sync")
    done = time.perf_counter()
    wait_quiet(a, b)
    return a, b, done - started, (want - already) / (done - first), around(before, verify_rate())


SHOWN = "select 1 from index_key where uid = ? and kind != ''"


def index_of(inst: Instance):
    """One open, read-only connection to the instance's index, kept for the
    whole measurement: (is this uid shown, as pages and `query` read it?, close)."""
    if "INDEX_DATABASE_URL" in inst.services:
        import psycopg

        db = psycopg.connect(inst.services["INDEX_DATABASE_URL"], autocommit=True)
        return (lambda uid: db.execute(SHOWN.replace("?", "%s"), (uid,)).fetchone() is not None), db.close
    db = sqlite3.connect(f"file:{inst.data_dir / 'index.sqlite3'}?mode=ro", uri=True, timeout=30)
    return (lambda uid: db.execute(SHOWN, (uid,)).fetchone() is not None), db.close


def latency(a: Instance, b: Instance) -> list[float]:
    """From the write's return on `a` until the event is in `b`'s index."""
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER], cwd=REPO, env=a.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    shown_in_index, close_index = index_of(b)
    samples = []
    try:
        for i in range(LATENCY_SAMPLES):
            writer.stdin.write(f"latency probe {i}\n")
            writer.stdin.flush()
            uid = writer.stdout.readline().strip()
            started = time.perf_counter()
            while not shown_in_index(uid):
                time.sleep(0.0005)
                if time.perf_counter() - started > 10:
                    raise AssertionError("entry never arrived")
            samples.append(time.perf_counter() - started)
            time.sleep(random.uniform(0.02, 0.12))  # no phase lock with the 50 ms log poll
    finally:
        close_index()
        writer.stdin.close()
        writer.wait(10)
    return samples


def main() -> None:
    n = int(os.environ.get("BENCH_SYNC_ENTRIES", "100000"))
    root = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    instances: list[Instance] = []
    try:
        template = Instance.template(root / "template")
        a, b, elapsed, stream_rate, reference = pair_of(root, template, "big", n)
        instances += [a, b]
        rate = n / elapsed
        print(f"   initial sync of {n:,} entries ({AUTHORS} authors): {elapsed:.1f} s from `pair`, {rate:,.0f} entries/s "
              f"= {rate / reference:.0%} of the verify rate (target >= 100%)")
        print(f"   streaming alone (from the first entry seen on the receiver to the last): {stream_rate:,.0f} entries/s "
              f"= {stream_rate / reference:.0%}")
        target(f"initial sync, {n // 1000}k entries, vs one-core verify", f"{rate / reference:.0%} (streaming {stream_rate / reference:.0%})",
               ">= 100%", rate >= reference)
        rss_a, rss_b = a.peak_rss_kb() / 1024, b.peak_rss_kb() / 1024
        print(f"   peak RSS during the sync: sender {rss_a:.0f} MB, receiver {rss_b:.0f} MB (target < 200 MB)")

        samples = latency(a, b)
        median = statistics.median(samples)
        print(f"   one new entry visible on the peer: median {median * 1000:.1f} ms, "
              f"max {max(samples) * 1000:.1f} ms over {len(samples)} (target < 10 ms)")
        target("new entry seen on a connected peer", f"median {median * 1000:.1f} ms", "under 10 ms", median < 0.010)

        b.stop()
        big_bytes = reconnect_bytes(b)
        small_a, small_b, *_ = pair_of(root, template, "small", 1000)
        instances += [small_a, small_b]
        small_a.append("one entry of its own, as the big one has")
        wait_until(lambda: total(small_b) == total(small_a), 30, message="small pair in sync")
        small_b.stop()
        small_bytes = reconnect_bytes(small_b)
        print(f"   reconnect with nothing new: {small_bytes:,} bytes at 1,000 entries, {big_bytes:,} bytes at {n:,} "
              f"(ratio {big_bytes / small_bytes:.2f}, target: independent of size)")
    finally:
        for inst in instances:
            inst.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
