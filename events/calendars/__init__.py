"""Calendars: who may read and write which events (docs/PROTOCOL.md section 6).

`bodies` (pure) parses and checks the body types; `keys` (pure) seals and
opens what they carry; `state` folds calendar entries into the index;
`decode` turns a calendar write into what the register fold sees;
`manage` is what the owner does.
"""
