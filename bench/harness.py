"""Shared pieces of the benchmarks: a throw-away instance and reference rates."""

from __future__ import annotations

import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def on_postgres() -> bool:
    """This run measures PostgreSQL and Redis (`make bench` runs the benchmarks there too)."""
    return os.environ.get("BENCH_BACKEND") == "postgres"


def instance_services(name: str) -> dict[str, str]:
    """For a real instance of a benchmark: its own PostgreSQL databases and Redis
    database on a PostgreSQL run, else nothing (SQLite files in its DATA_DIR)."""
    from devtools.services import cluster, own_services

    return own_services("bench_" + re.sub(r"[^a-z0-9_]", "_", name.lower()), cluster()) if on_postgres() else {}


def setup_django(prefix: str) -> str:
    """Point Django at a fresh DATA_DIR (and on a PostgreSQL run, fresh databases),
    set it up and migrate both databases."""
    data_dir = tempfile.mkdtemp(prefix=f"calendar-p2p-bench-{prefix}-")
    os.environ["DATA_DIR"] = data_dir
    if on_postgres():
        os.environ.update(instance_services(f"{prefix}_self"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendar_p2p.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", database="default", verbosity=0)
    call_command("migrate", database="index", verbosity=0)
    return data_dir


def verify_rate(seconds: float = 1.0) -> float:
    """Ed25519 verifications per second on one core, alone, of entry-sized messages."""
    key = Ed25519PrivateKey.generate()
    public = key.public_key()
    messages = [b"calendar-p2p/entry/v1\n" + os.urandom(300) for _ in range(200)]
    signed = [(key.sign(m), m) for m in messages]
    count, started = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - started) < seconds:
        for sig, message in signed:
            public.verify(sig, message)
        count += len(signed)
    return count / elapsed


def around(before: float, after: float) -> float:
    """The verify reference for a run between two measurements of it: their mean.
    The machine is shared and its speed drifts by a quarter within minutes, so
    one taken on each side of the run is nearer to it than one taken earlier."""
    print(f"   reference: one core verifies {before:,.0f} Ed25519 signatures/s just before, {after:,.0f}/s just after")
    return (before + after) / 2


def median_time(fn: Callable[[], object], *, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def verdict(ok: bool) -> str:
    return "target met" if ok else "TARGET MISSED"


# A line `make bench` gathers into its closing table of speed targets.
TARGET_MARK = "   target | "


def target(what: str, figure: str, goal: str, ok: bool) -> None:
    """Report one row of the speed-target table: what was measured, the figure, the goal and the verdict."""
    backend = os.environ.get("BENCH_BACKEND", "sqlite")
    print(f"{TARGET_MARK}{what} | {backend} | {figure} | {goal} | {verdict(ok)}", flush=True)
