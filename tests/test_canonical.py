"""events.canonical: `exactly_canonical`, the quick parse for text that is its own canonical
encoding, gives what the strict parse gives or nothing at all."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events.canonical import NotCanonicalJSON, canonical, exactly_canonical, loads_strict
from tests.test_verify_pool import every_vector_line

HOSTILE = [
    b'{"a":1,"a":1}',  # a duplicate key, otherwise in canonical form
    b'{"a":1,"a":2}',
    b'{"a":{"b":1,"b":1}}',
    b'{"a":1.5}',
    b'{"a":NaN}',
    b'{"a":Infinity}',
    b'{"a":"\\ud800"}',  # a lone surrogate, escaped
    b'{"a":"\xed\xa0\x80"}',  # a surrogate encoded in UTF-8: not UTF-8
    b'{"a":"\xff"}',
    b'{"b":1,"a":2}',  # keys out of order
    b'{"a": 1}',
    b'{"a":1} ',
    b'{"a":"\\u00e9"}',  # an escape canonical form writes as the character
    b'[' * 5000 + b']' * 5000,
    b'{"a":' + b'9' * 5000 + b'}',  # an integer too long to convert
    b'',
    b'null',
]


def test_canonical_text_parses_to_what_the_strict_parse_gives():
    for text in [t if isinstance(t, bytes) else canonical(t) for t in every_vector_line()]:
        value = exactly_canonical(text)
        if value is not None:
            assert value == loads_strict(text)
            assert canonical(value) == text


@pytest.mark.parametrize("text", HOSTILE)
def test_anything_the_strict_parse_refuses_or_writes_otherwise_gives_nothing(text):
    assert exactly_canonical(text) is None
    try:
        value = loads_strict(text)
        assert value is None or canonical(value) != text
    except (NotCanonicalJSON, UnicodeEncodeError):  # refused, or no canonical form (a lone surrogate)
        pass


def test_an_integer_too_long_for_python_is_refused_by_name():
    """Python will not convert an integer of more than 4300 digits: the strict parse
    says so as a refusal, never a bare ValueError (an entry, a frame from a peer)."""
    with pytest.raises(NotCanonicalJSON, match="integer of more than") as refused:
        loads_strict(b'{"a":' + b"9" * 5000 + b"}")
    assert refused.value.rule == "limits"


def test_an_entrys_canonical_bytes_take_the_quick_parse():
    text = b'{"author":"ab","body":{"title":"zi ploioas\xc4\x83"},"seq":1}'
    assert exactly_canonical(text) == {"author": "ab", "body": {"title": "zi ploioasă"}, "seq": 1}


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**60), max_value=10**60) | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


def outcome(encode, value):
    try:
        return encode(value)
    except Exception as e:  # the kind of refusal is what is compared
        return type(e)


@settings(max_examples=400, deadline=None)
@given(JSON_LIKE)
def test_the_encoder_built_once_writes_what_json_dumps_writes(value):
    """`canonical` keeps one C encoder instead of json.dumps building one per call:
    the same bytes for every value (text with surrogates and control characters,
    big integers, floats), or the same kind of refusal."""
    def dumps(v):
        return json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    assert outcome(canonical, value) == outcome(dumps, value)
