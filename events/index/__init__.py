"""The index, the log folded into rows in its own database: fold (catch_up, rebuild), rows, query, expand, history, registers.
registers and expand are pure (events.entry, events.recurrence; no Django); the rest may add Django, events.models, events.routers, events.log.
Nothing here imports events.calendar, events.ics, views or sync; import from the defining module (this package re-exports nothing)."""
