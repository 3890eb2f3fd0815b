"""A dateutil walk with a budget: a rule that never, or only rarely, occurs
would otherwise make dateutil look for its next occurrence until the year 9999.
Pure module: imports dateutil and events.recurrence.timing only."""

from __future__ import annotations

from dateutil import rrule as du

from events.recurrence.timing import RecurrenceError


class WalkTooLong(RecurrenceError):
    """A rule walked its budget of steps without reaching an occurrence."""


# The steps of dateutil's walk that BoundedRule counts, weighed in days looked
# at: `rebuild` runs once per month (once per period for MONTHLY and YEARLY)
# and reads `_bynweekday`, and in that time a DAILY, WEEKLY or MONTHLY walk
# looks at about 31 days and a YEARLY one at 366; HOURLY and MINUTELY walks
# build each period's times, reading `_byminute` (HOURLY) or `_bysecond`
# (MINUTELY) once per period, and skip the rest of a day that does not match.
_MONTH_WEIGHT = {du.YEARLY: 366, du.MONTHLY: 31, du.WEEKLY: 31, du.DAILY: 31, du.HOURLY: 1, du.MINUTELY: 1}
_PERIOD_ATTR = {du.HOURLY: "_byminute", du.MINUTELY: "_bysecond"}


class BoundedRule(du.rrule):
    """dateutil's rrule whose walk gives up (WalkTooLong) after `budget`
    steps (about days looked at) without an occurrence. dateutil looks for the next occurrence until
    the year 9999, which for a rule that never or rarely occurs costs
    seconds; the steps are counted where the walk reads the rule's values
    (see _MONTH_WEIGHT), as dateutil offers no other hook. Tested in
    tests/test_bounds.py, so a dateutil that walks otherwise is noticed."""

    def __init__(self, *args, budget: int, **kwargs):
        self._walking = False
        self._steps = 0
        self._budget = budget
        self._weight = _MONTH_WEIGHT.get(args[0], 1)
        self._period_attr = _PERIOD_ATTR.get(args[0])
        super().__init__(*args, **kwargs)

    def _step(self, weight: int) -> None:
        if self._walking:
            self._steps += weight
            if self._steps > self._budget:
                self._walking = False
                raise WalkTooLong(f"no occurrence within {self._budget} steps of the rule's walk")

    @property
    def _bynweekday(self):
        self._step(self._weight)
        return self.__dict__["_bynweekday_value"]

    @_bynweekday.setter
    def _bynweekday(self, value):
        self.__dict__["_bynweekday_value"] = value

    @property
    def _byminute(self):
        if self._period_attr == "_byminute":
            self._step(1)
        return self.__dict__["_byminute_value"]

    @_byminute.setter
    def _byminute(self, value):
        self.__dict__["_byminute_value"] = value

    @property
    def _bysecond(self):
        if self._period_attr == "_bysecond":
            self._step(1)
        return self.__dict__["_bysecond_value"]

    @_bysecond.setter
    def _bysecond(self, value):
        self.__dict__["_bysecond_value"] = value

    def _iter(self):
        self._walking, self._steps = True, 0
        try:
            for occurrence in super()._iter():
                self._steps = 0
                yield occurrence
        finally:
            self._walking = False
