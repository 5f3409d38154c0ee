"""JSON reads of the live mirror and the server-sent event stream to open pages.

`GET /api/accounts/{id}/live`: the account as its mirror holds it (0 exchange requests), with
its freshness; 503 when this process has no mirror of it (the REST endpoints still answer).

`GET /api/live/stream[?account=ID]`: text/event-stream of the signed-in user's accounts only.
On every (re)connection each account's current view is sent first (`event: account`), then every
change; `event: totals` carries the portfolio sums (Decimal, computed here, not in the browser);
a `: heartbeat` comment keeps proxies from closing an idle stream. A stream ends with its session
(within a second of a sign-out) and a session holds only a few (see session_stream.py). Events
are whole account views, so a reconnect (EventSource sends Last-Event-ID) is answered with the
current state: a resync that leaves nothing missed. A reader too slow for the bus is dropped;
its EventSource reconnects.
With `&symbol=SYM` (one account only: the Terminal) each `account` event is the whole view of
that symbol: positions, open orders, plan/TP/SL/trailing orders and fills, besides the balances,
so the page needs no other read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from perpdesk.core.errors import InputError, NotFound
from perpdesk.core.money import fmt
from perpdesk.live.bus import account_topic
from perpdesk.live.runtime import LiveRuntime
from perpdesk.services.account_access import accounts_of
from perpdesk.services.deps import AccountsDeps
from perpdesk.web.accounts.common import DepsDep
from perpdesk.web.deps import CurrentUser, CurrentUserDep
from perpdesk.web.error_envelope import ErrorEnvelope
from perpdesk.web.live.common import SSE_RESPONSE, live_runtime, sse_frame, unavailable
from perpdesk.web.live.schemas import LiveAccountOut
from perpdesk.web.live.session_stream import SessionStream

router = APIRouter(prefix="/api", tags=["live"])
NEXT_STEP = "Open Settings > Exchange Account API Keys to see your connected accounts."


async def _user_account_ids(deps: AccountsDeps, user_id: str) -> list[str]:
    return [a.id for a in await accounts_of(deps, user_id, active_only=False)]


@router.get("/accounts/{account_id}/live", summary="An account's live state from its mirror",
            response_model=LiveAccountOut, responses={503: {"model": ErrorEnvelope,
                                                            "description": "No live mirror of it here."}})
async def account_live(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Any:
    if account_id not in await _user_account_ids(deps, user.id):
        raise NotFound("No such connected account.", next_step=NEXT_STEP)
    runtime = live_runtime(request)
    if runtime is None:
        return unavailable("Live mirrors are off on this platform (PERPDESK_LIVE_ENABLED).")
    view = runtime.query.account(user.id, account_id)
    if view is None:
        return unavailable("This account has no live mirror (it is not active, or is starting).")
    return view.to_dict()


def _totals(runtime: LiveRuntime, user_id: str, ids: list[str]) -> dict[str, Any]:
    views = [v for v in runtime.query.user_accounts(user_id) if v.account_id in ids]
    usdt = [v.usdt for v in views if v.usdt is not None]
    return {
        "equity": fmt(sum((b.equity for b in usdt), Decimal(0))),
        "available": fmt(sum((b.available for b in usdt), Decimal(0))),
        "margin": fmt(sum((b.position_margin + b.frozen for b in usdt), Decimal(0))),
        "unrealized_pnl": fmt(sum((v.unrealized_pnl for v in views), Decimal(0))),
        "fresh": all(v.fresh for v in views) and len(views) == len(ids),
    }


def _no_mirror(account_id: str) -> dict[str, Any]:
    return {"account_id": account_id, "freshness": {
        "state": "stopped", "since_ms": 0, "fresh": False,
        "reason": "No live mirror: the account is not active, or is starting."}}


def _symbol_view(runtime: LiveRuntime, user_id: str, account_id: str, symbol: str) -> dict[str, Any]:
    view = runtime.query.account(user_id, account_id)
    if view is None:
        return _no_mirror(account_id)
    data = view.to_dict()
    del data["order_history"]
    for part in ("positions", "open_orders", "plans", "fills"):
        data[part] = [row for row in data[part] if row["symbol"] == symbol]
    data["symbol"] = symbol
    return data


def _account_frame(runtime: LiveRuntime, user_id: str, account_id: str, symbol: str | None) -> bytes:
    if symbol is not None:
        return sse_frame("account", _symbol_view(runtime, user_id, account_id, symbol))
    view = runtime.query.account(user_id, account_id)
    return sse_frame("account", view.to_dict(full=False) if view else _no_mirror(account_id))


async def _events(
    request: Request, runtime: LiveRuntime, user: CurrentUser, ids: list[str], symbol: str | None = None
) -> AsyncIterator[bytes]:
    sub = runtime.bus.subscribe([account_topic(i) for i in ids])
    stream = SessionStream(request, runtime, user, sub)
    try:
        yield b"retry: 2000\n\n"
        for account_id in ids:  # the current state first: a (re)connection is a resync
            yield _account_frame(runtime, user.id, account_id, symbol)
        yield sse_frame("totals", _totals(runtime, user.id, ids))
        async for event in stream.events():
            if event is None:
                yield b": heartbeat\n\n"
            elif event.kind == "account" and symbol is not None:
                view = _symbol_view(runtime, user.id, str(event.data["account_id"]), symbol)
                yield sse_frame("account", view, event.seq)
            else:
                yield sse_frame(event.kind, event.data, event.seq)
            if event is not None and event.kind == "account":
                yield sse_frame("totals", _totals(runtime, user.id, ids))
    finally:
        stream.close()
        sub.close()


@router.get("/live/stream", summary="Server-sent events: the signed-in user's accounts, live",
            response_class=StreamingResponse, responses=SSE_RESPONSE)
async def live_stream(request: Request, user: CurrentUserDep, deps: DepsDep,
                      account: str | None = None, symbol: str | None = None) -> Any:
    if symbol is not None:
        symbol = symbol.strip().upper()
        if account is None or not symbol:
            raise InputError("symbol", "goes with one account", "Add account=ID, or leave symbol out.")
    ids = await _user_account_ids(deps, user.id)
    if account is not None:
        if account not in ids:  # someone else's account is "not found", like a missing one
            raise NotFound("No such connected account.", next_step=NEXT_STEP)
        ids = [account]
    runtime = live_runtime(request)
    if runtime is None:
        return unavailable("Live mirrors are off on this platform (PERPDESK_LIVE_ENABLED).")
    return StreamingResponse(_events(request, runtime, user, ids, symbol), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

