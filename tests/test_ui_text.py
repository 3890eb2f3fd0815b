"""Web addresses in a title or a place become links; nothing else becomes markup."""

import pytest
from django.utils.html import escape

from events.templatetags.calendar_text import linkify


@pytest.mark.parametrize(("text", "html"), [
    ("Standup https://meet.example.org/a?x=1&y=2 now",
     'Standup <a href="https://meet.example.org/a?x=1&amp;y=2" rel="noopener noreferrer nofollow" target="_blank" '
     'class="ext">https://meet.example.org/a?x=1&amp;y=2</a> now'),
    ("see http://example.org.", 'see <a href="http://example.org" rel="noopener noreferrer nofollow" '
     'target="_blank" class="ext">http://example.org</a>.'),
    ("(https://en.wikipedia.org/wiki/Foo_(bar))", '(<a href="https://en.wikipedia.org/wiki/Foo_(bar)" '
     'rel="noopener noreferrer nofollow" target="_blank" class="ext">https://en.wikipedia.org/wiki/Foo_(bar)</a>)'),
])
def test_it_links_web_addresses(text, html):
    assert linkify(text) == html


@pytest.mark.parametrize("text", [
    "javascript:alert(1)", "data:text/html,<b>x</b>", "<script>alert(1)</script>", "ftp://files.example.org", "http://",
])
def test_it_leaves_everything_else_escaped_text(text):
    assert linkify(text) == escape(text)


def test_a_quote_ends_an_address_and_stays_text():
    html = linkify('https://x.org/"onmouseover="alert(1)')
    assert html.startswith('<a href="https://x.org/" ')
    assert html.endswith("</a>&quot;onmouseover=&quot;alert(1)")


def test_it_keeps_nothing_as_nothing():
    assert linkify(None) == "" and linkify("") == ""
