"""events.wake: a commit that adds entries wakes the log's tails in every process of the instance."""

import asyncio
import socket

import pytest

from events import log, wake


@pytest.fixture
def data_dir(tmp_path, settings):
    # a short path: a Unix socket's name has room for about a hundred bytes
    settings.DATA_DIR = tmp_path
    return tmp_path


async def woken(listener_event: asyncio.Event, timeout: float = 5.0) -> bool:
    try:
        await asyncio.wait_for(listener_event.wait(), timeout)
    except TimeoutError:
        return False
    return True


async def test_it_wakes_a_listener_of_the_same_data_dir(data_dir):
    seen = asyncio.Event()
    listener = wake.Listener(seen.set)
    assert listener.start()
    try:
        wake.announce()
        assert await woken(seen)
    finally:
        listener.close()
    assert list((data_dir / "wake").iterdir()) == []


async def test_it_wakes_every_listener(data_dir):
    events = [asyncio.Event(), asyncio.Event()]
    listeners = [wake.Listener(e.set) for e in events]
    for listener in listeners:
        assert listener.start()
    try:
        wake.announce()
        assert all([await woken(e) for e in events])
    finally:
        for listener in listeners:
            listener.close()


def test_announcing_with_nobody_listening_does_nothing(data_dir):
    wake.announce()
    assert not (data_dir / "wake").exists()


def test_it_removes_the_socket_a_dead_process_left_behind(data_dir):
    folder = data_dir / "wake"
    folder.mkdir()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(folder / "12345-dead"))
    stale.close()  # bound, never unlinked: what a killed process leaves
    wake.announce()
    assert list(folder.iterdir()) == []


async def test_a_data_dir_too_long_for_a_socket_name_falls_back_to_polling(tmp_path, settings):
    deep = tmp_path / ("d" * 120)
    deep.mkdir()
    settings.DATA_DIR = deep
    listener = wake.Listener(lambda: None)
    assert listener.start() is False
    listener.close()


@pytest.mark.django_db(transaction=True, databases=["default", "index"])
@pytest.mark.usefixtures("flushable_log")
async def test_a_committed_append_wakes_the_listener(data_dir):
    from asgiref.sync import sync_to_async

    seen = asyncio.Event()
    listener = wake.Listener(seen.set)
    assert listener.start()
    try:
        await sync_to_async(log.append_local)({"type": "note", "text": "hello"})
        assert await woken(seen)
    finally:
        listener.close()
