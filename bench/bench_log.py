"""Log: local appends and bundle import, beside the one-core Ed25519 verify rate.

Target: importing a bundle runs at >= 100% of the one-core verify-only rate:
worker processes verify on every core while the importing thread writes.
"""

import io
import os
import time

from bench.harness import around, setup_django, target, verdict, verify_rate

APPENDS = int(os.environ.get("BENCH_LOG_APPENDS", 10_000))
IMPORTS = int(os.environ.get("BENCH_LOG_IMPORTS", 100_000))


def build_bundle(count: int, authors: int = 5) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from devtools.feeds import FeedWriter

    lines = []
    for a in range(authors):
        feed = FeedWriter(Ed25519PrivateKey.generate())
        for seq in range(1, count // authors + 1):
            body = {"type": "event.put", "uid": f"u{a}-{seq}", "recurrence_id": None,
                    "event": {"title": f"event {seq}", "start": "2026-12-01T10:00:00", "end": "2026-12-01T11:00:00",
                              "tz": "Europe/Bucharest", "all_day": False, "rrule": None}}
            lines.append(feed.write(body, time=1_795_000_000_000 + seq).raw)
    return b"\n".join(lines) + b"\n"


def main() -> None:
    setup_django("log")
    from events import log
    from events.bundle import import_bundle

    reference = verify_rate()
    print(f"   Ed25519 verify alone (one core): {reference:,.0f}/s")

    started = time.perf_counter()
    for i in range(APPENDS):
        log.append_local({"type": "note", "i": i})
    rate = APPENDS / (time.perf_counter() - started)
    print(f"   local append: {APPENDS:,} entries, {rate:,.0f}/s ({rate / reference:.2f}x verify rate)")

    data = build_bundle(IMPORTS)
    before = verify_rate()  # again: on a shared machine the load has moved since
    started = time.perf_counter()
    report = import_bundle(io.BytesIO(data))
    rate = report.counts["stored"] / (time.perf_counter() - started)
    reference = around(before, verify_rate())
    ratio = rate / reference
    print(f"   bundle import: {report.counts['stored']:,} entries, {rate:,.0f}/s = {ratio:.0%} of verify rate "
          f"(target >= 100%: {verdict(ratio >= 1.0)})")
    target(f"bundle import, {IMPORTS // 1000}k entries, vs one-core verify", f"{ratio:.0%}", ">= 100%", ratio >= 1.0)
