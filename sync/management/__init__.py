"""The replication commands, in commands/: invite, pair, peers and sync.
They may import Django, sync and events (their base is events.management.base.Command, for one-line errors).
Nothing in events imports them."""
