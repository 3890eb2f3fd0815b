"""`manage.py ops SCRIPT`: apply calendar operations from a JSON-lines script.

One operation per line, applied in order, each written to the log on its own
(a failed one changes nothing and does not stop the others). One result line
per operation is printed as soon as it is written, so a result with
`"ok": true` means that entry is stored:

    {"op": "create", "event": {"title": "standup", "start": "2026-03-02T09:00", "tz": "UTC",
                                "rrule": "FREQ=DAILY"}, "uid": "optional-own-uid"}
    {"op": "edit", "uid": U, "changes": {"title": "stand-up"}}
    {"op": "edit_occurrence", "uid": U, "recurrence_id": "2026-03-04T09:00:00", "changes": {...}}
    {"op": "split", "uid": U, "recurrence_id": "2026-03-09T09:00:00", "changes": {...}}
                                     (this occurrence and the following ones: a new series from here)
    {"op": "cancel", "uid": U, "recurrence_id": "2026-03-05T09:00:00"}
    {"op": "delete", "uid": U}
    {"op": "resolve", "uid": U, "recurrence_id": null, "keep": HASH-or-null, "changes": {...}}
    {"op": "resolve_all"}            (every conflict: keeps the version shown first)

Result: {"line": N, "op": ..., "ok": true, "uid": ..., "recurrence_id": ..., "hash": ...}
(resolve_all: "written": [{"uid", "recurrence_id", "hash"}, ...] instead; split: the
new series' uid, then "written" too), or
{"line": N, "op": ..., "ok": false, "error": "what was wrong"}. Exits 1
when any operation failed.
"""

import json
import sys

from django.core.management.base import CommandError

from events import calendar
from events.index.fold import catch_up
from events.log import LocalWritesHeld
from events.management.base import Command as BaseCommand
from events.models import IndexKey
from events.routers import INDEX_DB

MAX_LINE = 1 << 20


def _changes(op: dict) -> dict:
    changes = op.get("changes") or {}
    if not isinstance(changes, dict):
        raise calendar.CalendarError("changes must be an object of event fields")
    unknown = set(changes) - set(calendar.EVENT_FIELDS)
    if unknown:
        raise calendar.CalendarError(f"unknown event fields: {', '.join(sorted(unknown))}")
    return changes


def _uid(op: dict) -> str:
    uid = op.get("uid")
    if not isinstance(uid, str) or not uid:
        raise calendar.CalendarError("uid must be a non-empty string")
    return uid


def apply_op(op: dict) -> list[calendar.Written]:
    """Apply one operation; raises CalendarError or LocalWritesHeld."""
    kind = op.get("op")
    if kind == "create":
        event = op.get("event")
        if not isinstance(event, dict) or set(event) - set(calendar.EVENT_FIELDS):
            raise calendar.CalendarError("create needs an event object of known fields")
        uid = op.get("uid")
        return [calendar.create_event(uid=uid if isinstance(uid, str) and uid else None, **event)]
    if kind == "edit":
        return [calendar.edit_series(_uid(op), **_changes(op))]
    if kind == "edit_occurrence":
        return [calendar.edit_occurrence(_uid(op), op.get("recurrence_id"), **_changes(op))]
    if kind == "split":
        rid = op.get("recurrence_id")
        if not isinstance(rid, str) or not rid:
            raise calendar.CalendarError("split needs the recurrence_id of the first occurrence to change")
        return calendar.split_series(_uid(op), rid, **_changes(op))
    if kind == "cancel":
        return [calendar.cancel_occurrence(_uid(op), op.get("recurrence_id"))]
    if kind == "delete":
        return [calendar.delete_event(_uid(op))]
    if kind == "resolve":
        keep = op.get("keep")
        return [calendar.resolve_conflict(_uid(op), op.get("recurrence_id"), keep=keep if isinstance(keep, str) else None, **_changes(op))]
    if kind == "resolve_all":
        catch_up()
        keys = IndexKey.objects.using(INDEX_DB).filter(conflict=True).order_by("uid", "calendar", "rid")
        return [calendar.resolve_conflict(uid, rid or None, calendar=where)
                for where, uid, rid in keys.values_list("calendar", "uid", "rid")]
    raise calendar.CalendarError(f"unknown op {str(kind)[:40]!r}")


class Command(BaseCommand):
    help = (
        "Apply calendar operations (create, edit, edit_occurrence, split, cancel, delete, resolve, resolve_all) "
        "from a JSON-lines SCRIPT, or - for standard input; prints one JSON result line per operation."
    )

    def add_arguments(self, parser):
        parser.add_argument("script", metavar="SCRIPT", help="JSON-lines file of operations, or - for standard input")

    def handle(self, *args, **options):
        path = options["script"]
        try:
            stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        except OSError as e:
            raise CommandError(f"cannot read {path}: {e.strerror}") from None
        failed = 0
        with stream:
            for number, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                result = self._apply_line(number, line)
                failed += not result["ok"]
                self.stdout.write(json.dumps(result, ensure_ascii=False))
                self.stdout.flush()
        if failed:
            raise CommandError(f"{failed} operation(s) failed (see their result lines)")

    def _apply_line(self, number: int, line: str) -> dict:
        try:
            op = json.loads(line) if len(line) <= MAX_LINE else None
        except ValueError as e:
            return {"line": number, "op": None, "ok": False, "error": f"not JSON: {e}"}
        if not isinstance(op, dict):
            return {"line": number, "op": None, "ok": False, "error": "each line must be one JSON object"}
        try:
            written = apply_op(op)
        except (calendar.CalendarError, LocalWritesHeld) as e:
            return {"line": number, "op": op.get("op"), "ok": False, "error": str(e)}
        result = {"line": number, "op": op.get("op"), "ok": True}
        every = [{"uid": w.uid, "recurrence_id": w.recurrence_id, "hash": w.entry.hash} for w in written]
        if op.get("op") == "resolve_all":
            return {**result, "written": every}
        w = written[0]
        result.update(uid=w.uid, recurrence_id=w.recurrence_id, hash=w.entry.hash)
        return {**result, "written": every} if op.get("op") == "split" else result
