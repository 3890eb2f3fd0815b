"""When events happen: `timing` (wall times, zones, years, the title limit), `rrule` (the one set of
RRULE tables, parsing, the form's view of a rule), `walk` (dateutil's walk on a budget), `expansion`
(event times, occurrences), `bounds` (the protocol's rule `bounds` on calendar bodies).
Pure: may import the standard library and dateutil, never Django, `events.schedule` or `sync`.
"""
