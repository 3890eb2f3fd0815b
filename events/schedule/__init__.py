"""The quick-add parser: words -> phrases -> plan -> draft event (`parser.parse_schedule`).
Pure: may import the standard library, dateutil, dateparser and `events.recurrence`, never Django.
Callers import the public names below from `events.schedule`; the modules import one another directly.
"""

from events.schedule.parser import (
    ParseResult,
    ScheduleError,
    Span,
    load_zone,
    parse_schedule,
    warm_up,
)
from events.schedule.wording import describe_repeat

__all__ = ["describe_repeat", "ParseResult", "ScheduleError", "Span", "load_zone", "parse_schedule", "warm_up"]
