"""The index: the log folded into rows in its own database (fold: catch_up, rebuild; rows; query; history).
registers and expand are pure (no Django); the rest may import Django, events.models, events.log, events.recurrence.
Nothing here imports views or sync; import from the defining module (this package re-exports nothing)."""
