"""Run the benchmarks: `python -m bench [NAME ...]` (NAME: a module bench/bench_NAME.py).

Every benchmark prints its figures beside a reference measured in the same
run, as a ratio, so a busy machine shifts both and the verdict stays.
"""

import importlib
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import TARGET_MARK, on_postgres

# What `make bench` measures again on PostgreSQL and Redis: the speed-target rows.
ON_POSTGRES = ["index", "log", "ics", "sync"]


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(m.name[len("bench_"):] for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    chosen = argv or names
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    if len(chosen) > 1:
        # One process per benchmark: each sets Django up on its own DATA_DIR.
        rows: list[str] = []
        failed = [n for n in chosen if run_one([sys.executable, "-m", "bench", n], rows) != 0]
        if not argv and not on_postgres():
            # The same figures on PostgreSQL and Redis, in this same run, for the same table.
            postgres = [str(Path(__file__).parents[1] / ".ci" / "services"), "run", "env", "BENCH_BACKEND=postgres", sys.executable, "-m", "bench", *ON_POSTGRES]
            if run_one(postgres, rows, env={**os.environ, "SERVICES_DURABLE": "1"}) != 0:
                failed.append("the PostgreSQL run")
        if not on_postgres():  # a PostgreSQL run inside `make bench` leaves the table to it
            print_targets(rows)
        if failed:
            print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1 if failed else 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendar_p2p.settings")
    [name] = chosen
    print(f"== {name}{' (PostgreSQL)' if on_postgres() else ''}", flush=True)
    started = time.perf_counter()
    importlib.import_module(f"bench.bench_{name}").main()
    print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


def run_one(command: list[str], rows: list[str], env: dict[str, str] | None = None) -> int:
    """Run benchmarks in a process of their own, echoing the output and keeping the target rows."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        if line.startswith(TARGET_MARK):
            rows.append(line[len(TARGET_MARK):].rstrip("\n"))
    return process.wait()


def print_targets(rows: list[str]) -> None:
    """The speed targets of this one run, side by side."""
    if not rows:
        return
    table = [["what", "database", "measured", "target", "verdict"]] + [r.split(" | ") for r in rows]
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    print("== speed targets (one run)")
    for r in table:
        print("   " + " | ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip())
    missed = sum(1 for r in table[1:] if r[-1] != "target met")
    print(f"   {len(rows) - missed} of {len(rows)} targets met\n", flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
