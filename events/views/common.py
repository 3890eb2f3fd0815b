"""What every owner page shares: the page context and small request helpers."""

from __future__ import annotations

from datetime import date

from django.shortcuts import render

from events import health, instance, log
from events.index.query import FIRST_YEAR, LAST_YEAR
from events.models import IndexKey
from events.views.undo import OFFER_SECONDS, take_offer


def conflict_count() -> int:
    return IndexKey.objects.using("index").filter(conflict=True).count()


def page_context(request, **extra) -> dict:
    context = {
        "instance_name": instance.name(),
        "conflict_count": conflict_count(),
        "writes_held": log.writes_held_reason(),
        "log_damage": health.banner(),
        "undo_offer": take_offer(request),
        "undo_seconds": OFFER_SECONDS,
    }
    context.update(extra)
    return context


def render_page(request, template: str, context: dict | None = None, *, status: int = 200):
    return render(request, template, page_context(request, **(context or {})), status=status)


def parse_day(value: str | None, default: date) -> date:
    """A `YYYY-MM-DD` query parameter, or `default` when absent, malformed or
    outside the years a calendar view can show (a month grid reaches a week
    beyond its month)."""
    if not value:
        return default
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return default
    return day if FIRST_YEAR < day.year < LAST_YEAR else default
