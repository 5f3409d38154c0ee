"""The sandbox exchange as one ASGI app: BitMart's REST API, the admin API, and (from
`perpdesk.sandbox.web`) pages, OAuth and WebSocket, on one host and port.

`create_app(config)` returns the app; its lifespan opens the state file, builds the engine and
identity, runs the price process, and on shutdown stops it and writes everything to disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import sys
from typing import Any

from starlette.routing import Router

from perpdesk.sandbox.api import Faults, RateLimiter, RestApi, admin_routes, not_found
from perpdesk.sandbox.api.rest import Receive, Scope, Send
from perpdesk.sandbox.binance.limits import BinanceLimits
from perpdesk.sandbox.bodylimit import BodyLimit
from perpdesk.sandbox.context import SandboxConfig, SandboxContext
from perpdesk.sandbox.engine import Engine
from perpdesk.sandbox.identity import Identity
from perpdesk.sandbox.persist import Persist

log = logging.getLogger("perpdesk.sandbox")


class SandboxApp:
    """ASGI callable. `ctx`, `faults` and `limiter` exist once the lifespan has started."""

    def __init__(self, config: SandboxConfig) -> None:
        if not config.admin_token:
            config.admin_token = secrets.token_urlsafe(24)
            print(f"sandbox admin token: {config.admin_token}", file=sys.stderr, flush=True)
        self.config = config
        self.faults = Faults()
        self.limiter = RateLimiter(config.rate_limit_factor)
        self.binance_limits = BinanceLimits(config.rate_limit_factor)  # the Binance port's, if served
        self.ctx: SandboxContext | None = None
        self._rest: RestApi | None = None
        self._engine_task: asyncio.Task[None] | None = None
        self._whitelist_task: asyncio.Task[None] | None = None

    async def startup(self) -> None:
        config = self.config
        persist = Persist(config.state_path)
        engine = Engine(persist, seed=config.seed, funding_interval_s=config.funding_interval_s)
        identity = Identity(persist, auto_whitelist_after=config.auto_whitelist_after)
        for user in identity.users():
            engine.ensure_account(user.uid)
        ctx = SandboxContext(config=config, persist=persist, engine=engine, identity=identity)
        from perpdesk.sandbox import web  # late: the web part imports this package's pieces

        router = Router(
            routes=[*admin_routes(ctx, self.limiter, self.faults, [self.binance_limits]), *web.routes(ctx)],
            default=not_found,
        )
        self.ctx = ctx
        self._rest = RestApi(ctx, BodyLimit(router), self.limiter, self.faults)
        self._engine_task = asyncio.create_task(engine.run(config.price_interval_s), name="sandbox-engine")
        if config.auto_whitelist_after is not None:
            self._whitelist_task = asyncio.create_task(
                self._auto_whitelist(identity), name="sandbox-whitelist"
            )

    async def _auto_whitelist(self, identity: Identity) -> None:
        """Approve due whitelist requests even when nobody looks (the approval email goes out)."""
        after = self.config.auto_whitelist_after or 0.0
        while True:
            await asyncio.sleep(min(1.0, max(0.05, after / 4)))
            if identity.approve_due_whitelists() and self.ctx is not None:
                await self.ctx.persist.flush()

    async def shutdown(self) -> None:
        for task in (self._engine_task, self._whitelist_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._engine_task = self._whitelist_task = None
        if self.ctx is not None:
            await asyncio.to_thread(self.ctx.persist.close)
            self.ctx = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if self._rest is None:  # a server that does not run the lifespan
            await self.startup()
        assert self._rest is not None
        await self._rest(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message: Any = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    log.exception("sandbox failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.shutdown()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return


def create_app(config: SandboxConfig) -> SandboxApp:
    return SandboxApp(config)
