from __future__ import annotations

import secrets
from typing import Any

from tests.fixtures.sandbox import SandboxServer, free_port


def make_client(server: SandboxServer, redirect_uri: str | None = None) -> dict[str, Any]:
    redirect_uri = redirect_uri or f"http://127.0.0.1:{free_port()}/fast-connect/callback"
    return server.admin.create_oauth_client(
        f"Platform {secrets.token_hex(3)}", [redirect_uri], ["127.0.0.1", "127.0.0.2"]
    )


def new_user(server: SandboxServer) -> dict[str, Any]:
    return server.admin.create_user(deposit={}, futures_deposit={})
