"""Many feeds: what a reconnect with nothing new costs as the number of feeds
grows, as on a mirror relaying for many friends (docs/scaling.md).

    python -m bench scale            (BENCH_SCALE_FEEDS=50,500,5000 by default)

For each count, two real instances hold the same feeds (one entry each);
the second reconnects with `sync --once`. Prints bytes both ways, bytes per
feed (target under 200) and time, and the ratio of the largest to the
smallest per-feed cost (target: linear, so about 1).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from devtools.instances import Instance, seed, wait_until  # noqa: E402


def reconnect(root: Path, template: Path, feeds: int) -> tuple[int, float]:
    a = Instance(root / f"{feeds}-a", template, name=f"{feeds}-a")
    b = Instance(root / f"{feeds}-b", template, name=f"{feeds}-b")
    seed(a, feeds, authors=feeds)
    try:
        a.start()
        b.start()
        b.manage("pair", a.manage("invite").strip())
        want = sum(a.vector().values())
        wait_until(lambda: sum(b.vector().values()) >= want, 600, interval=0.05, message="initial sync")
        b.stop()
        started = time.perf_counter()
        [result] = json.loads(b.manage("sync", "--once", "--json"))
        elapsed = time.perf_counter() - started
        assert result["ok"], result
        return result["bytes_sent"] + result["bytes_received"], elapsed
    finally:
        a.stop()
        b.stop()


def main() -> None:
    counts = [int(c) for c in os.environ.get("BENCH_SCALE_FEEDS", "50,500,5000").split(",")]
    root = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        template = Instance.template(root / "template")
        per_feed = {}
        for feeds in counts:
            sent, elapsed = reconnect(root, template, feeds)
            per_feed[feeds] = sent / feeds
            verdict = "target met" if per_feed[feeds] < 200 else "TARGET MISSED"
            print(f"   reconnect with nothing new, {feeds:,} feeds: {sent:,} bytes both ways, "
                  f"{per_feed[feeds]:.0f} bytes per feed ({verdict}: under 200), {elapsed:.2f} s (a process start included)")
        small, large = per_feed[min(counts)], per_feed[max(counts)]
        print(f"   bytes per feed at {max(counts):,} against {min(counts):,} feeds: {large / small:.2f}x "
              f"({'target met' if large / small < 1.5 else 'TARGET MISSED'}: linear in the feeds)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
