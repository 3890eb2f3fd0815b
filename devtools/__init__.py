"""Development helpers shared by tests/ and bench/, which must not import tests/: feeds (FeedWriter, signing chains) and instances (real daphne instances, the launcher formerly tests/instances.py).
May import events and Django; production code (events, sync, calendar_p2p) never imports devtools, and it is not packaged.
Helpers only tests use stay in tests/support/."""
