"""A peer's status (connected, counts, how far each side is) is saved by the hub
every STATUS_INTERVAL; a save that fails loses nothing: the next one carries it."""

import pytest

from sync import hub as hub_module
from sync import store
from sync.session import Session

PEER = "cd" * 32


def admitted_session(hub: hub_module.Hub) -> Session:
    session = Session(None, dialer=True, hub=hub)
    session.other = {"key": PEER, "name": "b", "nonce": "00" * 32}
    session.me = "ab" * 32
    session.admitted = True
    hub.sessions[PEER] = session
    return session


async def test_counts_of_a_status_that_could_not_be_saved_go_into_the_next_one(monkeypatch):
    hub = hub_module.Hub()
    session = admitted_session(hub)
    session.sent_total, session.received_total = 5, 3
    saved: list[dict] = []
    outcomes = iter([RuntimeError("database is locked"), None])

    async def save(rows: list[dict]) -> None:
        if (failure := next(outcomes)) is not None:
            raise failure
        saved.extend(rows)

    monkeypatch.setattr(store, "save", save)
    with pytest.raises(RuntimeError):
        await hub.flush_status()
    assert session.status_dirty
    session.received_total += 1  # one more entry arrives before the next try
    await hub.flush_status()
    assert [(row["sent"], row["received"]) for row in saved] == [(5, 4)]
    assert not session.status_dirty
    await hub.flush_status()  # nothing new: nothing saved again
    assert len(saved) == 1
