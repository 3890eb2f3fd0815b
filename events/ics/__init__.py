"""iCalendar (RFC 5545): read, times, write, compare (pure: icalendar, events.recurrence), export, importing, feed (subscription tokens).
export, importing and feed may add Django, events.models, events.routers, events.instance, events.index, events.calendar and events.log.
Nothing here imports views or sync (HTTP lives in events.views.ics_files and events.views.ics_page); import from the defining module."""
