"""Misspelt day, month and relative words: "wensday", "tommorow", "decmber".

Used only when a line has no date otherwise: a word within one edit (two for
words of seven letters or more) of exactly one of these names, with the same
first letter, is read as that name. The caller shows the correction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMES = (
    "monday tuesday wednesday thursday friday saturday sunday "
    "mondays tuesdays wednesdays thursdays fridays saturdays sundays "
    "january february march april june july august september october november december "
    "today tonight tomorrow yesterday"
).split()
KNOWN = frozenset(NAMES)
WORD = re.compile(r"(?<![\w'])[^\W\d_]{4,}(?![\w'])")


@dataclass(frozen=True)
class Correction:
    start: int
    end: int
    wrote: str
    meant: str


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a swap of neighbours is one edit), or limit + 1 past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        previous2, previous = previous, row
    return previous[-1]


def meant(word: str) -> str | None:
    """The one name `word` is a misspelling of, if there is exactly one."""
    if word in KNOWN:
        return None
    limit = 1 if len(word) <= 6 else 2
    best: list[str] = []
    best_distance = limit + 1
    for name in NAMES:
        if name[0] != word[0]:
            continue
        distance = edit_distance(word, name, limit)
        if distance < best_distance:
            best, best_distance = [name], distance
        elif distance == best_distance and distance <= limit:
            best.append(name)
    return best[0] if len(best) == 1 and best_distance <= limit else None


def find_corrections(text: str, low: str) -> list[Correction]:
    """Words of `low` that look like misspelt names; a capitalised word inside the line is a name, left alone."""
    found = []
    for m in WORD.finditer(low):
        if m.start() > 0 and text[m.start()].isupper():
            continue
        name = meant(m.group(0))
        if name is not None:
            found.append(Correction(m.start(), m.end(), text[m.start() : m.end()], name))
    return found


def apply_corrections(text: str, corrections: list[Correction]) -> tuple[str, list[int]]:
    """The corrected text, and for each of its offsets (and its end) the offset in `text`."""
    pieces: list[str] = []
    origin: list[int] = []
    at = 0
    for fix in corrections:
        pieces.append(text[at : fix.start])
        origin.extend(range(at, fix.start))
        pieces.append(fix.meant)
        origin.extend([fix.start] * len(fix.meant))
        at = fix.end
    pieces.append(text[at:])
    origin.extend(range(at, len(text) + 1))
    return "".join(pieces), origin
