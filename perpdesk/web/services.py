"""Shared services of a running platform, kept on `app.state.services`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from perpdesk.settings import Settings
from perpdesk.vault import Vault

Hook = Callable[[Any], Awaitable[None]]  # receives the FastAPI app


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    vault: Vault
    session_secret: bytes  # keys CSRF tokens; never rendered
    # Other parts put their own services here, e.g. services.extra["accounts"] = AccountsService(...).
    extra: dict[str, Any] = field(default_factory=dict)
    # Run after migrations at start / before the engine closes at stop (e.g. background tasks).
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)
    # Last accepted TOTP time step per (user, purpose): a code opens one sign-in, never two.
    used_totp_steps: dict[str, int] = field(default_factory=dict)
