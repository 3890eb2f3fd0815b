"""Template filters for text people typed: web addresses in a title or a
place become links, everything else stays escaped text."""

from __future__ import annotations

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

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
