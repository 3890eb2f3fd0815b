"""Quick-add: a JSON preview of how a phrase is understood, and creating it."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from django.http import JsonResponse
from django.views.decorators.http import require_GET, require_POST

from events import calendar, clock
from events.log import LocalWritesHeld
from events.preferences import viewer_tz
from events.views.auth import owner_required

MAX_TEXT = 1000
HINT = "Add when: a day, a date or a time, e.g. “lunch every tuesday at noon”."


def _draft_dict(draft) -> dict:
    if dataclasses.is_dataclass(draft):
        return dataclasses.asdict(draft)
    return dict(draft)


def _when(draft: dict) -> str:
    start, end = draft.get("start"), draft.get("end")
    if isinstance(start, str):
        start = datetime.fromisoformat(start) if "T" in start else date.fromisoformat(start)
    if isinstance(end, str):
        end = datetime.fromisoformat(end) if "T" in end else date.fromisoformat(end)
    if start is None:
        return ""
    if draft.get("all_day") or not isinstance(start, datetime):
        text = f"{start:%a %-d %b %Y}, all day"
        if isinstance(end, date) and not isinstance(end, datetime) and (end - start).days > 1:
            text = f"{start:%a %-d %b} – {end.fromordinal(end.toordinal() - 1):%a %-d %b %Y}, all day"
        return text
    text = f"{start:%a %-d %b %Y, %H:%M}"
    if isinstance(end, datetime):
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%a %-d %b, %H:%M}"
    if draft.get("tz"):
        text += f" ({draft['tz']})"
    return text


def _parse(text: str):
    from events import schedule  # the parser; imported here so the rest of the UI loads without it

    tz = viewer_tz()
    return schedule.parse_schedule(text, now=clock.now(tz), tz=tz)


def _spans(result) -> list[dict]:
    out = []
    for span in getattr(result, "spans", None) or []:
        item = _draft_dict(span) if not isinstance(span, (tuple, list)) else dict(zip(("start", "end", "kind"), span, strict=False))
        out.append({"start": int(item["start"]), "end": int(item["end"]), "kind": str(item.get("kind", ""))})
    return out


def _text(request) -> str:
    return (request.POST.get("text") if request.method == "POST" else request.GET.get("text", "")) or ""


@require_GET
@owner_required
def preview(request):
    text = _text(request).strip()[:MAX_TEXT]
    if not text:
        return JsonResponse({"ok": False, "empty": True, "error": ""})
    from events.schedule import describe_repeat

    result = _parse(text)
    if getattr(result, "incomplete", False):
        # "lunch", "lunch every": still being typed, so a neutral hint rather than an error.
        return JsonResponse({"ok": False, "hint": HINT, "error": str(result.error), "spans": _spans(result),
                             "text": text})
    if result.error or result.draft is None:
        return JsonResponse({"ok": False, "error": str(result.error), "spans": _spans(result), "text": text})
    draft = _draft_dict(result.draft)
    corrected = ", ".join(f"“{wrote}” as “{meant}”" for wrote, meant in getattr(result, "corrections", []))
    summary = {
        "title": draft.get("title") or "",
        "when": _when(draft),
        "repeat": describe_repeat(draft.get("rrule")),
        "where": draft.get("location") or "",
        "corrected": f"read {corrected}" if corrected else "",
    }
    return JsonResponse({"ok": True, "text": text, "spans": _spans(result), "summary": summary})


@require_POST
@owner_required
def add(request):
    text = _text(request).strip()
    if not text:
        return JsonResponse({"ok": False, "error": "Type what and when, e.g. “lunch every tuesday at noon”."}, status=400)
    if len(text) > MAX_TEXT:
        return JsonResponse({"ok": False, "error": f"That is longer than {MAX_TEXT} characters."}, status=400)
    result = _parse(text)
    if result.error or result.draft is None:
        return JsonResponse({"ok": False, "error": str(result.error), "spans": _spans(result)}, status=400)
    try:
        written = calendar.create_event(_draft_dict(result.draft), with_default_reminder=True)
    except LocalWritesHeld as e:
        return JsonResponse({"ok": False, "error": str(e), "held": True}, status=409)
    except calendar.CalendarError as e:
        return JsonResponse({"ok": False, "error": str(e)}, status=400)
    event = written.event or {}
    return JsonResponse(
        {"ok": True, "uid": written.uid, "title": event.get("title"), "start": event.get("start"), "rrule": event.get("rrule")},
        status=201,
    )
