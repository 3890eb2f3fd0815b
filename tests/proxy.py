"""A small TCP proxy for breaking links on purpose in multi-instance tests.

It forwards a local port to a target port and can cut every open connection,
refuse new ones (a partition), or delay every chunk it forwards. It runs its
own event loop in a daemon thread, so synchronous tests can drive it.
"""

from __future__ import annotations

import asyncio
import random
import socket
import threading


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proxy:
    def __init__(self, target_port: int, *, port: int | None = None, seed: int = 0):
        self.target_port = target_port
        self.port = port or free_port()
        self.partitioned = False
        self.delay = 0.0  # seconds added to every forwarded chunk
        self.drop_rate = 0.0  # chance that a new connection is cut after its first chunk
        self.connections_cut = 0
        self._random = random.Random(seed)
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(asyncio.start_server(self._accept, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.partitioned:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        self._writers |= {writer, up_writer}
        doomed = self._random.random() < self.drop_rate
        await asyncio.gather(self._pipe(reader, up_writer, doomed), self._pipe(up_reader, writer, False))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, doomed: bool) -> None:
        try:
            while data := await reader.read(65536):
                if self.partitioned:
                    break
                if self.delay:
                    await asyncio.sleep(self.delay)  # the injected fault: a slow link
                writer.write(data)
                await writer.drain()
                if doomed:
                    self.connections_cut += 1
                    break
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def _call(self, fn) -> None:
        asyncio.run_coroutine_threadsafe(fn(), self._loop).result(5)

    def cut(self) -> None:
        """Close every open connection (both ends see a dropped TCP link)."""

        async def close_all() -> None:
            self.connections_cut += len(self._writers) // 2
            for w in list(self._writers):
                w.transport.abort()
            self._writers.clear()

        self._call(close_all)

    def partition(self) -> None:
        self.partitioned = True
        self.cut()

    def heal(self) -> None:
        self.partitioned = False
        self.delay = 0.0
        self.drop_rate = 0.0

    def close(self) -> None:
        self.partition()

        async def stop() -> None:
            self._server.close()

        self._call(stop)
        self._loop.call_soon_threadsafe(self._loop.stop)
