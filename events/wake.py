"""Waking the log's tails in every process of this instance as soon as entries are committed.

The tails (the replication hub, the pages' live updates) poll the log's
arrival counter; a write made in another process (a web request served by
another worker, `manage.py add`, a bundle import) would only be seen at the
next poll. So each process that tails the log binds a Unix datagram socket in
DATA_DIR/wake/, and a commit that adds entries sends one byte to each socket
there. The byte says only "look at the log now": the tail still reads the
arrival counter, so a lost or forged wake-up costs a poll interval or one
needless read, never an entry, and the poll stays as the fallback (another
machine sharing a PostgreSQL database, a DATA_DIR path too long for a socket).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

_sender: socket.socket | None = None


def _folder() -> Path:
    return Path(settings.DATA_DIR) / "wake"


def _sending_socket() -> socket.socket:
    global _sender
    if _sender is None:
        sender = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sender.setblocking(False)
        _sender = sender
    return _sender


def announce() -> None:
    """Entries were committed: wake every listening process (this one included). Never raises."""
    if not hasattr(socket, "AF_UNIX"):
        return
    folder = _folder()
    try:
        names = os.listdir(folder)
    except OSError:  # nobody ever listened here
        return
    sender = _sending_socket()
    for name in names:
        path = str(folder / name)
        try:
            sender.sendto(b"!", path)
        except BlockingIOError:  # its queue is full: a wake-up is waiting there already
            pass
        except ConnectionRefusedError:  # left behind by a process that ended without cleaning up
            _unlink(path)
        except OSError as e:  # e.g. removed meanwhile; the poll covers it
            logger.debug("could not wake %s: %s", path, e)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


class Listener:
    """A socket in DATA_DIR/wake/ that calls `on_wake` in the event loop when entries are announced."""

    def __init__(self, on_wake: Callable[[], None]) -> None:
        self.on_wake = on_wake
        self.sock: socket.socket | None = None
        self.path = ""
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> bool:
        """Bind and watch the socket in the running loop; False (the caller polls) when that is not possible."""
        if not hasattr(socket, "AF_UNIX"):
            return False
        folder = _folder()
        path = str(folder / f"{os.getpid()}-{secrets.token_hex(4)}")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
            sock.bind(path)
            sock.setblocking(False)
            loop = asyncio.get_running_loop()
            loop.add_reader(sock.fileno(), self._drain)
        except (OSError, NotImplementedError) as e:  # a path longer than a socket name allows, a loop without readers
            logger.info("no wake-ups for the log tail (%s): it polls", e)
            sock.close()
            _unlink(path)
            return False
        self.sock, self.path, self._loop = sock, path, loop
        return True

    def _drain(self) -> None:
        assert self.sock is not None
        try:
            while self.sock.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        self.on_wake()

    def close(self) -> None:
        if self.sock is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
        self.sock.close()
        _unlink(self.path)
        self.sock = None
