"""Verifying many entries on every core: worker processes apply `parse_entry`.

Checking an entry (docs/PROTOCOL.md section 2.3: fields, limits, signature)
is CPU work that holds the GIL for most of its time (the JSON parse, the
canonical encoding, the field checks; cryptography's Ed25519 verify itself
lets two threads gain only a little), so threads cannot use a second core.
A bundle import or an initial sync sends its big batches here: worker
processes verify a batch in chunks while the caller's thread writes the batch
before it. For each item a worker returns a verdict: the rule it broke, or
the entry's hash, whether `check_linkage` passed (a receiver applies it in
its turn, after `prev`: docs/PROTOCOL.md section 2.4) and its canonical
bytes when the item was not exactly those. The caller rebuilds the Entry
from its own item, so it stores only what a worker verified, and every
outcome is the one `parse_entry` and `check_linkage` give in the caller's
own thread. Verdicts rather than entries cross back because pickling an
Entry and its body cost the worker about a twentieth of its time, and
unpickling it cost the caller's thread (which also stores) more than
parsing the line again.

Small batches (live sync brings one entry at a time) are verified in place:
a round trip to a worker costs more than the work. The workers are
events.worker_pool's.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import BrokenExecutor, Future
from typing import Any

from events import worker_pool
from events.entry import Entry, EntryInvalid, linkage_holds, parse_entry, parse_linked, rebuilt

logger = logging.getLogger(__name__)

POOL_MIN = 256  # a batch below this size is verified in the caller's thread


Passed = tuple[str, bytes | None, bool]  # hash, canonical bytes (None: the item itself), linkage holds
Refused = tuple[str, str]  # rule, message
Verdict = Passed | Refused


def check(item: Any) -> Verdict:
    """`parse_entry` and `linkage_holds` on one item, as a verdict that crosses a process boundary cheaply."""
    try:
        entry = parse_entry(item)
    except EntryInvalid as e:
        return (e.rule, e.message)
    same = isinstance(item, bytes) and item == entry.raw
    return (entry.hash, None if same else entry.raw, linkage_holds(entry))


def check_chunk(items: Sequence[Any]) -> list[Verdict]:
    return [check(item) for item in items]


def outcome(item: Any, verdict: Verdict) -> Entry | EntryInvalid:
    """The Entry a passed item is (built from the caller's own item), or the EntryInvalid it raised."""
    if len(verdict) == 2:
        return EntryInvalid(*verdict)
    hash_, raw, linked = verdict
    raw = item if raw is None else raw
    return rebuilt(item if isinstance(item, dict) else json.loads(raw), raw, hash_, linked=linked)


def here(item: Any) -> Entry | EntryInvalid:
    """What the workers make of `item`, worked out in this thread."""
    try:
        return parse_linked(item)
    except EntryInvalid as e:
        return e


class Checked:
    """The outcome of `submit`: one result per item, in order, when the workers are done."""

    def __init__(self, parts: list[tuple[Sequence[Any], Future[list[Verdict]]]]) -> None:
        self.parts = parts

    def result(self) -> list[Entry | EntryInvalid]:
        out: list[Entry | EntryInvalid] = []
        for items, part in self.parts:
            try:
                out.extend(map(outcome, items, part.result()))
            except BrokenExecutor:  # a worker died (killed, out of memory): start afresh, check these here
                logger.warning("a signature-checking worker died; checking %d entries in this process", len(items))
                worker_pool.shutdown()
                out.extend(map(here, items))
        return out

    def cancel(self) -> None:
        for _, part in self.parts:
            part.cancel()


class CheckedHere(Checked):
    """A small batch, verified in the caller's thread as `submit` is called."""

    def __init__(self, items: Sequence[Any]) -> None:
        super().__init__([])
        self.outcomes = [here(item) for item in items]

    def result(self) -> list[Entry | EntryInvalid]:
        return self.outcomes


def submit(items: Sequence[Any]) -> Checked:
    """Start verifying `items` (JSON text or parsed objects): in the workers for a big
    batch, split so that every worker has a share; in this thread for a small one."""
    if len(items) < POOL_MIN:
        return CheckedHere(items)
    size = -(-len(items) // worker_pool.workers())
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    try:
        pool = worker_pool.started()
        return Checked([(chunk, pool.submit(check_chunk, chunk)) for chunk in chunks])
    except (BrokenExecutor, RuntimeError) as e:  # broken, or being shut down at exit
        logger.warning("signature-checking workers unavailable (%s); checking %d entries in this process", e, len(items))
        worker_pool.shutdown()
        return CheckedHere(items)


def warm() -> None:
    """Start the workers before a big batch comes (a peer holds many entries
    we lack), so that its first frames need not wait for them: spawning a
    worker and importing this module in it takes about a third of a second.
    Blocks while the processes spawn: call it off the event loop."""
    try:
        pool = worker_pool.started()
        for _ in range(worker_pool.workers()):
            pool.submit(check_chunk, ())
    except (BrokenExecutor, RuntimeError) as e:  # the batch finds out again, and checks in its own thread
        logger.warning("signature-checking workers did not start (%s)", e)


def check_all(items: Sequence[Any]) -> list[Entry | EntryInvalid]:
    """Verify `items` and wait: an Entry per valid item, the EntryInvalid it raised otherwise."""
    return submit(items).result()
