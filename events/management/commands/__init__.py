"""One module per `manage.py` command of the calendar (add, parse, query, ops, the log's, the index's, iCalendar's).
Each is a `events.management.base.Command`; it may import Django and any events module, never sync.
Human text by default, JSON with --json where it lists things; README.md's table documents every one."""
