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

from bench.harness import TARGET_MARK


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
        failed = [n for n in chosen if run_one(n, rows) != 0]
        print_targets(rows)
        if failed:
            print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1 if failed else 0
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calendar_p2p.settings")
    [name] = chosen
    print(f"== {name}", flush=True)
    started = time.perf_counter()
    importlib.import_module(f"bench.bench_{name}").main()
    print(f"   ({time.perf_counter() - started:.1f} s)\n", flush=True)
    return 0


def run_one(name: str, rows: list[str]) -> int:
    """Run one benchmark in its own process, echoing its output and keeping its target rows."""
    process = subprocess.Popen([sys.executable, "-m", "bench", name], stdout=subprocess.PIPE, text=True)
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
