from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.sandbox import SandboxServer, free_port, start_sandbox

CODE_TTL_S = "1.5"


@pytest.fixture(scope="module")
def short_ttl_sandbox() -> Iterator[SandboxServer]:
    """A second sandbox whose authorisation codes expire after 1.5 s (the real TTL is 5 minutes)."""
    os.environ["PERPDESK_SANDBOX_OAUTH_CODE_TTL"] = CODE_TTL_S
    try:
        server = start_sandbox()
    finally:
        del os.environ["PERPDESK_SANDBOX_OAUTH_CODE_TTL"]
    try:
        yield server
    finally:
        server.stop()


def make_client(server: SandboxServer, redirect_uri: str | None = None) -> dict[str, Any]:
    redirect_uri = redirect_uri or f"http://127.0.0.1:{free_port()}/fast-connect/callback"
    return server.admin.create_oauth_client(
        f"Platform {secrets.token_hex(3)}", [redirect_uri], ["127.0.0.1", "127.0.0.2"]
    )


def new_user(server: SandboxServer) -> dict[str, Any]:
    return server.admin.create_user(deposit={}, futures_deposit={})
