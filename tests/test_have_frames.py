"""A vector too big for one frame goes in several `have` frames (docs/PROTOCOL.md section 4.2)."""

import json

from sync import protocol


def test_a_big_vector_goes_in_several_have_frames_under_the_limit():
    feeds = {f"{i:064x}": 2**63 - 1 for i in range(protocol.HAVE_CHUNK * 2 + 5)}
    frames = protocol.have_frames(feeds)
    assert len(frames) == 3 and all(len(f.encode()) <= protocol.MAX_FRAME_BYTES for f in frames)
    parsed = [json.loads(f) for f in frames]
    assert [p.get("more", False) for p in parsed] == [True, True, False]
    assert {k: v for p in parsed for k, v in p["feeds"].items()} == feeds
    assert protocol.have_frames({}) == [protocol.have({})]
