"""When events happen: `expansion` (wall times, zones, rules, occurrences) and `rrule`
(RRULE values as the edit form sees them: split into fields, built back, described in words).
Pure: may import the standard library and dateutil, never Django, `events.schedule` or `sync`.
"""
