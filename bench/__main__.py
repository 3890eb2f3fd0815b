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
        failed = [n for n in chosen if subprocess.run([sys.executable, "-m", "bench", n]).returncode != 0]
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
