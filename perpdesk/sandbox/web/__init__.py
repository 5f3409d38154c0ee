"""The exchange's pages, Fast Connect authorisation server and WebSocket (sandbox part 2)."""

from __future__ import annotations

from starlette.routing import BaseRoute

from perpdesk.sandbox.context import SandboxContext


def routes(ctx: SandboxContext) -> list[BaseRoute]:
    """Routes the sandbox app mounts beside the REST API: pages, /oauth/*, WebSocket /api and /user."""
    return []
