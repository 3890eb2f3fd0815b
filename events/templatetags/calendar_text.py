"""Template filters for text on the pages: web addresses in a title or a
place become links (everything else stays escaped text), and moments are
said as people say them ("5 minutes ago") with the exact time beside."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import segno
from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from events import clock
from events.preferences import viewer_tz

register = template.Library()

# Only http and https: a javascript: or data: address stays plain text.
WEB_ADDRESS = re.compile(r"\bhttps?://[^\s<>\"'`]+", re.IGNORECASE)
# Punctuation that ends a sentence rather than the address ("see https://x.org.").
TRAILING = ".,;:!?)]}’”"


def _split_trailing(url: str) -> tuple[str, str]:
    end = len(url)
    while end and url[end - 1] in TRAILING:
        # keep a closing bracket that closes one opened inside the address (wiki links)
        if url[end - 1] == ")" and url[:end].count("(") >= url[:end].count(")"):
            break
        end -= 1
    return url[:end], url[end:]


@register.filter(is_safe=True)
def linkify(text: str | None) -> SafeString:
    """`text` escaped, with each http(s) address made a link that opens apart
    from the calendar and does not hand it `window.opener`."""
    text = "" if text is None else str(text)
    out, pos = [], 0
    for found in WEB_ADDRESS.finditer(text):
        url, tail = _split_trailing(found.group())
        if url.endswith("://"):  # nothing after the scheme
            continue
        out.append(escape(text[pos:found.start()]))
        link = escape(url)
        out.append(f'<a href="{link}" rel="noopener noreferrer nofollow" target="_blank" class="ext">{link}</a>')
        out.append(escape(tail))
        pos = found.end()
    out.append(escape(text[pos:]))
    return mark_safe("".join(out))


def _moment(value) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _count(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'} ago"


@register.filter
def time_ago(value) -> str:
    """"just now", "5 minutes ago", "yesterday", "3 days ago", or the date past a month."""
    moment = _moment(value)
    if moment is None:
        return ""
    zone = ZoneInfo(viewer_tz())
    now = clock.now(zone)
    seconds = (now - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return _count(int(seconds // 60), "minute")
    if seconds < 86400:
        return _count(int(seconds // 3600), "hour")
    days = (now.date() - moment.astimezone(zone).date()).days
    if days == 1:
        return "yesterday"
    if days < 31:
        return _count(days, "day")
    return f"on {moment.astimezone(zone):%-d %b %Y}"


@register.filter
def exact_time(value) -> str:
    """The moment in the calendar's zone, to the second, with the zone named."""
    moment = _moment(value)
    if moment is None:
        return ""
    zone = viewer_tz()
    return f"{moment.astimezone(ZoneInfo(zone)):%-d %B %Y, %H:%M:%S} ({zone})"


@register.filter
def qr_code(text: str, title: str = "QR code") -> SafeString:
    """`text` as a QR code in inline SVG, to scan with a phone (segno writes only its own markup)."""
    if not text:
        return mark_safe("")
    svg = segno.make(str(text), error="m").svg_inline(scale=4, dark="#1f2328", light="#fff", omitsize=True, title=title)
    return mark_safe(svg)
