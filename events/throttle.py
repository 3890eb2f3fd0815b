"""Failed logins are throttled per client address and for the whole instance.

An instance is one server process with one owner, so the counters live in
this process's memory: no table, no migration, no dependency (django-axes
would bring both for one form). A restart forgets them, and the attacker
cannot cause one. Each counter is a fixed window: the first failure opens
it; LIMIT failures within WINDOW seconds shut the door (every attempt,
right password or not) until the window ends. The global counter bounds
what many addresses together can try; it can also lock the owner out for
at most one window, which is the price of bounding a distributed guess.
"""

from __future__ import annotations

import threading
import time

WINDOW = 300.0  # seconds
ADDRESS_LIMIT = 10  # failures per address per window
GLOBAL_LIMIT = 100  # failures from all addresses together per window

_lock = threading.Lock()
_windows: dict[str, tuple[float, int]] = {}  # key -> (window start, failures)
_clock = time.monotonic
GLOBAL = "*"


def _keys(address: str) -> list[tuple[str, int]]:
    return [(f"addr:{address}", ADDRESS_LIMIT), (GLOBAL, GLOBAL_LIMIT)]


def retry_after(address: str) -> int:
    """Seconds until `address` may try again (0: now)."""
    now = _clock()
    wait = 0.0
    with _lock:
        for key, limit in _keys(address):
            start, failures = _windows.get(key, (now, 0))
            if now - start >= WINDOW:
                _windows.pop(key, None)
            elif failures >= limit:
                wait = max(wait, start + WINDOW - now)
    return int(wait) + (1 if wait % 1 else 0)


def failed(address: str) -> None:
    now = _clock()
    with _lock:
        if len(_windows) > 100_000:  # addresses are cheap to an attacker: forget closed windows
            for key in [k for k, (s, _) in _windows.items() if now - s >= WINDOW]:
                del _windows[key]
        for key, _ in _keys(address):
            start, failures = _windows.get(key, (now, 0))
            if now - start >= WINDOW:
                start, failures = now, 0
            _windows[key] = (start, failures + 1)


def succeeded(address: str) -> None:
    with _lock:
        _windows.pop(f"addr:{address}", None)


def reset() -> None:
    with _lock:
        _windows.clear()
