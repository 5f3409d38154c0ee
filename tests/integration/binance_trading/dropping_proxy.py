"""A TCP proxy on loopback in front of the sandbox's Binance port that loses answers, as a network
does: `drop(prefix, executed=True)` forwards the next request starting with `prefix` and closes the
connection without its answer (the exchange acted); `executed=False` closes it before forwarding
(the exchange never saw it). The sandbox's own fault injection serves its BitMart dialect only."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field


@dataclass
class DroppingProxy:
    upstream_port: int
    drops: list[tuple[bytes, bool]] = field(default_factory=list)
    dropped: int = 0
    server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    def drop(self, prefix: str, *, executed: bool = True) -> None:
        self.drops.append((prefix.encode(), executed))

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)

    async def aclose(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    def _take(self, chunk: bytes) -> bool | None:
        for i, (prefix, executed) in enumerate(self.drops):
            if chunk.startswith(prefix):
                del self.drops[i]
                self.dropped += 1
                return executed
        return None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_r, up_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        back = asyncio.create_task(self._pipe(up_r, writer))
        try:
            while chunk := await reader.read(65536):
                executed = self._take(chunk)
                if executed is False:
                    return  # never forwarded
                up_w.write(chunk)
                await up_w.drain()
                if executed:
                    back.cancel()  # its answer is not passed on
                    await asyncio.wait_for(up_r.read(65536), 10)  # the exchange has acted
                    return
        finally:
            back.cancel()
            for w in (writer, up_w):
                w.close()
                with contextlib.suppress(Exception):
                    await w.wait_closed()

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
