"""The calendar's management commands: `base.Command` (a bad argument is one line) and commands/, one module per command.
May import Django and any events module (events.calendar, events.index, events.ics, events.log, ...), never sync.
The replication commands (invite, pair, peers, sync) live in sync/management and build on `base.Command`."""
