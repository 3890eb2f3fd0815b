"""Replication and pairing: the wire protocol, sessions, the hub, the dialer, the server's runtime, the Peers page.
May import Django, Channels and `events`; `events` never imports `sync`. `protocol.py` is pure (no Django).
The sessions and the hub reach the database only through `store.py`; `runtime.py` owns the server's hub and dialer.
"""
