"""How a month grid's week rows are laid out: events that cover several days
become bars spanning their cells (one row, a "slot", per bar that overlaps
another), and a day whose bars and events do not fit shows "+N more".

No queries here: the month view hands in the chips of each day and the
multi-day events; this module only decides what goes where.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(slots=True)
class Bar:
    """A multi-day event's piece within one week row."""

    chip: Any  # events.views.calendar.Chip
    col: int  # 0 = Monday
    span: int  # days covered in this week
    slot: int = 0
    starts_before: bool = False  # the event began in an earlier week
    ends_after: bool = False  # and goes on into the next


@dataclass(slots=True)
class Week:
    days: list  # events.views.calendar.Day, each with `chips`, `bars` and `more`
    bars: list[Bar] = field(default_factory=list)
    slots: int = 0  # bar rows shown above the day's own events


def week_bars(week_days: list[date], spans: list[tuple[Any, list[date]]]) -> list[Bar]:
    """The bars of one week row: each (chip, covered days) cut to the week,
    placed in the lowest slot free for all of its days (longest first, as
    calendars on paper do, so long bars form a steady top band)."""
    first, last = week_days[0], week_days[-1]
    bars = []
    for chip, covered in spans:
        inside = [d for d in covered if first <= d <= last]
        if not inside:
            continue
        bars.append(Bar(chip, (inside[0] - first).days, len(inside),
                        starts_before=covered[0] < first, ends_after=covered[-1] > last))
    bars.sort(key=lambda b: (b.col, -b.span))
    slot_free_from: list[int] = []  # per slot, the first column it has free
    for bar in bars:
        for slot, free_from in enumerate(slot_free_from):
            if free_from <= bar.col:
                bar.slot = slot
                slot_free_from[slot] = bar.col + bar.span
                break
        else:
            bar.slot = len(slot_free_from)
            slot_free_from.append(bar.col + bar.span)
    return bars


def fit_week(week: Week, rows: int) -> None:
    """Keep at most `rows` lines in every cell of the week: bars first, then
    each day's own chips; what does not fit is counted in the day's `more`,
    and the last visible line gives way to the "+N more" link."""
    used = max((b.slot + 1 for b in week.bars), default=0)
    week.slots = min(used, rows)
    hidden_bars = [b for b in week.bars if b.slot >= week.slots]
    week.bars = [b for b in week.bars if b.slot < week.slots]
    for bar in week.bars:  # drawn from the cell where it begins in this week
        week.days[bar.col].bars.append(bar)
    for col, day in enumerate(week.days):
        hidden = sum(1 for b in hidden_bars if b.col <= col < b.col + b.span)
        free = rows - week.slots
        if hidden or len(day.chips) > free:
            keep = max(free - 1, 0)
            hidden += len(day.chips) - keep
            day.chips = day.chips[:keep]
        day.more += hidden
