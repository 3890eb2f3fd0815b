"""The calendar domain: the signed log (canonical, entry, identity, log), the index, calendar operations, quick-add, recurrence, iCalendar, pages, commands.
Pure modules (canonical, entry, occurrences, schedule, recurrence, index.registers/expand, ics read/write/times/compare) import no Django; the rest may.
Nothing under events/ imports sync, calendar_p2p or devtools: the layers are in docs/architecture.md, checked by tests/test_architecture.py."""
