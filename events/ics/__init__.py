"""iCalendar (RFC 5545): read, times, write and compare are pure (icalendar, events.recurrence; no Django);
export, importing and feed hold the calendar's side and may import Django, events.models, events.index, events.calendar, events.log.
Nothing here imports views or sync; the HTTP views live in events.ics_views and events.views_ics; import from the defining module."""
