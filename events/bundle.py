"""Log bundles: every entry as one JSON line ("replicate by concatenating logs").

A bundle is imported exactly as entries arriving from a peer are: each line is
validated, valid ones are stored in batches, and the report says per outcome
how many, and per damaged line what was wrong with it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, TextIO

from events import log

MAX_LINE = 1 << 20  # far above the 64 KiB entry limit: a longer line is damage, not an entry
BATCH = 2000  # entries stored per transaction: a larger one writes fewer pages of the hash index per entry (about a fifth less time storing than 500)
AHEAD = 2  # batches being verified while one is stored: the workers never wait for the writer


@dataclass
class ImportReport:
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # "line N: reason", capped
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def note(self, line_no: int, reason: str) -> None:
        self.problem_count += 1
        if len(self.problems) < 100:
            self.problems.append(f"line {line_no}: {reason}")


def write_bundle(out: TextIO) -> int:
    count = 0
    for entry in log.all_entries():
        out.write(entry.raw.decode())
        out.write("\n")
        count += 1
    return count


def _lines(stream: BinaryIO) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes) per line; None for a line longer than MAX_LINE, whose rest is skipped."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass
            yield number, None
            continue
        yield number, line.rstrip(b"\r\n")


def _batches(stream: BinaryIO) -> Iterator[list[tuple[int, bytes | None]]]:
    batch: list[tuple[int, bytes | None]] = []
    for number, line in _lines(stream):
        if line is None or line.strip():
            batch.append((number, line))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _parsed_ahead(batches: Iterator[list[tuple[int, bytes | None]]]):
    """Yield (batch, checked entries), the next batches being verified on the other
    cores while the caller stores this one (events.verify_pool)."""
    ahead: deque = deque()
    try:
        for batch in batches:
            ahead.append((batch, log.parse_ahead(line for _, line in batch if line is not None)))
            if len(ahead) > AHEAD:
                batch, checked = ahead.popleft()
                yield batch, checked.result()
        while ahead:
            batch, checked = ahead.popleft()
            yield batch, checked.result()
    finally:  # the import stopped early (an error while storing): the workers drop the rest
        for _, checked in ahead:
            checked.cancel()


def import_bundle(stream: BinaryIO, *, after_batch: Callable[[], None] | None = None) -> ImportReport:
    report = ImportReport()
    for batch, parsed in _parsed_ahead(_batches(stream)):
        outcomes = iter(log.receive(parsed))
        stored = False
        for number, line in batch:
            if line is None:
                report.counts[log.INVALID] += 1
                report.note(number, f"line longer than {MAX_LINE} bytes")
                continue
            outcome = next(outcomes)
            report.counts[outcome.result] += 1
            stored |= outcome.result == log.STORED
            if outcome.result == log.INVALID:
                report.note(number, f"invalid entry ({outcome.rule}): {outcome.message}")
            elif outcome.result == log.EARLY:
                report.note(number, f"entry {outcome.seq} of {outcome.author[:12]}… comes before its predecessors")
            elif outcome.result == log.FORK:
                report.note(number, f"fork: {outcome.author[:12]}… signed another entry {outcome.seq}; kept ours")
        if after_batch and stored:
            after_batch()
    return report


def summarize(report: ImportReport) -> Iterable[str]:
    order = [log.STORED, log.DUPLICATE, log.EARLY, log.FORK, log.INVALID]
    yield ", ".join(f"{report.counts[k]} {k}" for k in order)
    yield from report.problems
    if report.problem_count > len(report.problems):
        yield f"... and {report.problem_count - len(report.problems)} more problems"
