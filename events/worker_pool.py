"""Worker processes for CPU work that holds the GIL: one per core.

Verifying a big batch of entries (events.verify_pool) and reading a big
iCalendar file (events.ics.split) are Python work threads cannot spread
over a second core. Both send it here. The pool starts at the first big
job, in fresh interpreters ("spawn": nothing of the server's threads or
database connections is copied), and is shut down at exit; a worker whose
parent was killed ends itself.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PARENT_CHECK = 1.0  # seconds between a worker's looks at whether its parent still runs
_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def workers() -> int:
    """One worker per core this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def running() -> bool:
    return _pool is not None


def started() -> ProcessPoolExecutor:
    """The pool, started if it is not running."""
    global _pool
    with _lock:
        if _pool is None:
            context = multiprocessing.get_context("spawn")
            _pool = ProcessPoolExecutor(
                max_workers=workers(), mp_context=context, initializer=_worker_started, initargs=(os.getpid(),)
            )
            atexit.register(shutdown)
        return _pool


def shutdown() -> None:
    """Stop the workers (they start again at the next big job)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_started(parent: int) -> None:
    # Ctrl-C reaches the whole process group: the parent shuts the pool down, the workers need not be told twice.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_end_with, args=(parent,), name="parent-watch", daemon=True).start()


def _end_with(parent: int) -> None:
    """A worker whose parent was killed (no shutdown) would wait for work forever: end it."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK)
    os._exit(0)
