"""One module per `manage.py` command of replication: invite, pair, peers, sync.
Each is a `events.management.base.Command`; it may import Django, sync and events.
Human text by default, JSON with --json; README.md's table documents every one."""
