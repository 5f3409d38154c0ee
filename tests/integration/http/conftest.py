"""A loopback echo server for the HTTP client's tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.integration.http.httpservers import LoopServer, echo_handler


@pytest.fixture
async def echo() -> AsyncIterator[LoopServer]:
    server = await LoopServer(echo_handler).start()
    yield server
    await server.stop()
