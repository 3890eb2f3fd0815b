"""The reminders due soon, for the page's script to show as notifications
(`static/reminders.js`): each occurrence's `reminders` (docs/PROTOCOL.md
section 5.2), minutes before its start, as the moments to remind at."""

from __future__ import annotations

import json
from datetime import UTC, timedelta

from django.http import JsonResponse
from django.views.decorators.http import require_GET

from events import clock
from events.index.fold import catch_up
from events.index.query import query
from events.models import IndexKey
from events.preferences import viewer_tz
from events.routers import INDEX_DB
from events.views.auth import owner_required
from events.views.calendar import event_url

AHEAD = timedelta(hours=24)  # the page asks again long before this runs out
LATE = timedelta(minutes=5)  # a reminder missed by less (the page was loading) still shows
MAX_MINUTES = 40320


def _reminders_by_key() -> dict[tuple[str, str], list[int]]:
    """(uid, rid) -> minutes, for the shown rows whose event has reminders."""
    rows = IndexKey.objects.using(INDEX_DB).exclude(kind="").filter(busy=False, event__contains='"reminders":[')
    out = {}
    for uid, rid, event in rows.values_list("uid", "rid", "event"):
        value = json.loads(event).get("reminders")
        minutes = sorted({m for m in value if isinstance(m, int) and not isinstance(m, bool) and 0 <= m <= MAX_MINUTES})
        if minutes:
            out[(uid, rid)] = minutes
    return out


def _ms(moment) -> int:
    return int(moment.timestamp() * 1000)


@require_GET
@owner_required
def due(request):
    """{"now": ms, "reminders": [{"key", "at": ms, "title", "body", "url"}]}: the
    reminders falling between a few minutes ago and a day from now."""
    tz = viewer_tz()
    now = clock.now(tz)
    catch_up()
    wanted = _reminders_by_key()
    out = []
    if wanted:
        longest = timedelta(minutes=max(max(m) for m in wanted.values()))
        for occ in query(now - LATE, now + AHEAD + longest, tz).occurrences:
            if occ.all_day or occ.busy:
                continue
            minutes = wanted.get((occ.uid, occ.recurrence_id or "")) if occ.is_override else wanted.get((occ.uid, ""))
            for m in minutes or ():
                at = occ.start - timedelta(minutes=m)
                if now - LATE <= at <= now + AHEAD:
                    where = f" · {occ.location}" if occ.location else ""
                    out.append({"key": f"{occ.uid}|{occ.recurrence_id or ''}|{m}", "at": _ms(at), "title": occ.title,
                                "body": f"{occ.start:%H:%M}{where} (in {m} min)" if m else f"Now{where}",
                                "url": event_url(occ.uid, occ.recurrence_id)})
    out.sort(key=lambda r: r["at"])
    return JsonResponse({"now": _ms(now.astimezone(UTC)), "reminders": out})
