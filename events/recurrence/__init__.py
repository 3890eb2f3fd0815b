"""When events happen: `timing` (wall times, zones, recurrence ids, the title limit), `rrule` (the
one set of RRULE tables, parsing, the form's view of a rule), `expansion` (event times, occurrences).
Pure: may import the standard library and dateutil, never Django, `events.schedule` or `sync`.
"""
