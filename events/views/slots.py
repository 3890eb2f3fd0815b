"""Free slots: the times within working hours where none of the chosen
people is busy. Pure (no Django): busy times in, proposals out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

STEP = timedelta(minutes=15)  # proposals start on the quarter hour


@dataclass(frozen=True)
class WorkHours:
    start: time
    end: time
    days: tuple[int, ...]  # weekdays, Monday = 0

    def window(self, day: date, zone: tzinfo) -> tuple[datetime, datetime] | None:
        if day.weekday() not in self.days:
            return None
        return datetime.combine(day, self.start, zone), datetime.combine(day, self.end, zone)


def _round_up(moment: datetime) -> datetime:
    """The first quarter hour at or after `moment` (on the wall clock)."""
    base = moment.replace(minute=0, second=0, microsecond=0)
    steps = -(-(moment - base) // STEP)
    return base + steps * STEP


def free_slots(busy: list[tuple[datetime, datetime]], *, after: datetime, days: int, hours: WorkHours,
               duration: timedelta, limit: int) -> list[tuple[datetime, datetime]]:
    """The earliest slot of `duration` in each free stretch of working hours,
    from `after` on for `days` days (in `after`'s zone), at most `limit`."""
    zone = after.tzinfo
    assert zone is not None, "after must be aware"
    busy = sorted(busy)
    found: list[tuple[datetime, datetime]] = []
    for offset in range(days):
        window = hours.window(after.date() + timedelta(days=offset), zone)
        if window is None:
            continue
        at, closing = _round_up(max(window[0], after)), window[1]
        while at + duration <= closing and len(found) < limit:
            blocking = [end for start, end in busy if start < at + duration and end > at]
            if blocking:
                at = _round_up(max(blocking).astimezone(zone))
                continue
            found.append((at, at + duration))
            # the next proposal comes after the next busy time: one per free stretch
            following = min(((start, end) for start, end in busy if start >= at + duration), default=None)
            if following is None:
                break
            at = _round_up(max(following[1], at + duration).astimezone(zone))
    return found
