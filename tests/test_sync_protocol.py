"""sync/protocol.py alone: strict frames, auth bytes, frame packing. No Django, no sockets."""

import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from sync import protocol
from sync.protocol import ProtocolError

KEY = "ab" * 32


def code_of(frame):
    with pytest.raises(ProtocolError) as e:
        protocol.decode(frame)
    return e.value.code


def test_it_decodes_each_message_it_builds():
    frames = [
        protocol.hello(key=KEY, nonce="cd" * 32, name="n", url=None, invite=None),
        protocol.auth(Ed25519PrivateKey.generate(), other_nonce="00" * 32, own_nonce="11" * 32, other_key=KEY, own_key=KEY),
        protocol.have({KEY: 3}),
        protocol.ack({KEY: 0}),
        protocol.want({KEY: 1}),
        protocol.error("fork", "x", "ef" * 32),
        protocol.entries_frame([b'{"a":1}']),
    ]
    assert [protocol.decode(f)["type"] for f in frames] == ["hello", "auth", "have", "ack", "want", "error", "entries"]


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '{"type": 1}',
        '{"type": "nope"}',
        '{"type": "have", "feeds": [], "type": "have"}',
        '{"type": "have", "feeds": {"x": 1}}',
        '{"type": "have", "feeds": {"' + KEY + '": -1}}',
        '{"type": "have", "feeds": {"' + KEY + '": 1.5}}',
        '{"type": "have", "feeds": {"' + KEY + '": true}}',
        '{"type": "have", "feeds": {"' + KEY + '": 18446744073709551616}}',
        '{"type": "entries", "entries": {}}',
        '{"type": "auth", "sig": "zz"}',
        '{"type": "hello", "v": ' + str(protocol.VERSION) + ', "key": "AB", "nonce": "00", "name": "x"}',
        '{"type": "error", "code": 5}',
        '{"type": "want", "feeds": {"' + KEY + '": NaN}}',
        '{"type": "have", "feeds": {"' + KEY + '": ' + "9" * 5000 + "}}",  # too long for Python to convert
    ],
)
def test_it_answers_bad_frame(frame):
    assert code_of(frame) == "bad-frame"


@pytest.mark.parametrize("other", [protocol.VERSION - 1, protocol.VERSION + 1])
def test_it_answers_version_for_another_protocol_version(other):
    hello = json.loads(protocol.hello(key=KEY, nonce=KEY, name="x", url=None))
    assert hello["v"] == protocol.VERSION
    hello["v"] = other
    assert code_of(json.dumps(hello)) == "version"


def test_it_answers_too_large():
    assert code_of('{"type":"error","code":"x","message":"' + "a" * protocol.MAX_FRAME_BYTES + '"}') == "too-large"
    entries = json.dumps({"type": "entries", "entries": [{}] * 1001})
    assert code_of(entries) == "too-large"


def test_it_verifies_auth_only_for_this_connection():
    a, b = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    ak, bk = a.public_key().public_bytes_raw().hex(), b.public_key().public_bytes_raw().hex()
    an, bn = protocol.new_nonce(), protocol.new_nonce()
    sig = json.loads(protocol.auth(a, other_nonce=bn, own_nonce=an, other_key=bk, own_key=ak))["sig"]
    assert protocol.verify_auth(sig, signer_key=ak, signer_nonce=an, verifier_key=bk, verifier_nonce=bn)
    fresh = protocol.new_nonce()
    assert not protocol.verify_auth(sig, signer_key=ak, signer_nonce=an, verifier_key=bk, verifier_nonce=fresh)
    assert not protocol.verify_auth(sig, signer_key=bk, signer_nonce=an, verifier_key=ak, verifier_nonce=bn)


def test_it_signs_the_raw_bytes_in_protocol_order():
    data = protocol.auth_bytes(other_nonce="01" * 32, own_nonce="02" * 32, other_key="03" * 32, own_key="04" * 32)
    assert data == b"calendar-p2p/auth/v1\n" + bytes([1] * 32 + [2] * 32 + [3] * 32 + [4] * 32)


@given(st.lists(st.integers(min_value=1, max_value=70_000), max_size=3000))
def test_it_packs_entries_within_count_and_byte_limits(sizes):
    raws = [b"x" * n for n in sizes]
    frames = list(protocol.pack_entries(raws))
    assert [r for f in frames for r in f] == raws
    for f in frames:
        assert len(f) <= protocol.MAX_ENTRIES_PER_FRAME
        assert len(protocol.entries_frame(f).encode()) <= protocol.MAX_FRAME_BYTES or len(f) == 1


@given(st.one_of(st.text(max_size=300), st.binary(max_size=300), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
).map(lambda v: json.dumps({"type": "have", "feeds": v}) if not isinstance(v, dict) else json.dumps({**v, "type": "entries"}))))
def test_any_input_decodes_or_raises_protocol_error(frame):
    try:
        msg = protocol.decode(frame)
    except ProtocolError as e:
        assert e.code in protocol.ERROR_CODES
    else:
        assert isinstance(msg, dict) and msg["type"] in protocol.TYPES
