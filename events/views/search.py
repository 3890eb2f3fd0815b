"""The search page: every event whose title, place or description holds the
words typed, as an agenda of what is coming and what is past
(`events.index.search`)."""

from __future__ import annotations

from django.shortcuts import render

from events import clock
from events.index.fold import catch_up
from events.index.query import QueryError
from events.index.search import MAX_TEXT, SearchError, search
from events.preferences import viewer_tz
from events.views.auth import owner_required
from events.views.calendar import Day, chip_of, looks
from events.views.common import page_context

MAX_LISTED = 50  # of the upcoming and of the past matches each


def _listed(occurrences, look) -> list[Day]:
    """The occurrences the owner has not hidden, as agenda days in the order given."""
    days: list[Day] = []
    for occ in look.shown(occurrences)[:MAX_LISTED]:
        day = occ.start if occ.all_day else occ.start.date()
        if not days or days[-1].day != day:
            days.append(Day(day, False))
        days[-1].chips.append(chip_of(occ, look, on=day))
    return days


@owner_required
def search_page(request):
    text = request.GET.get("q", "").strip()
    context = {"nav": "search", "q": text[:MAX_TEXT], "max_text": MAX_TEXT}
    status = 200
    if text:
        tz = viewer_tz()
        catch_up()
        try:
            found = search(text, now=clock.now(tz), tz=tz)
        except (SearchError, QueryError) as e:
            context["error"], status = str(e), 400
        else:
            look = looks()
            context["upcoming"], context["past"] = _listed(found.upcoming, look), _listed(found.past, look)
            context["searched"] = True
    return render(request, "search.html", page_context(request, **context), status=status)
