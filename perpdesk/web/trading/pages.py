"""HTML pages: Portfolio (all accounts) and one account's Trade page, with plain POST forms.

Forms post, then redirect back (303) with a message code; a bad ticket re-renders the page with
the values kept and the field named, so nothing typed is lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from perpdesk.core.errors import Conflict, ExchangeError, InputError, PerpdeskError
from perpdesk.core.models import Position, TimeInForce
from perpdesk.core.money import fmt
from perpdesk.exchanges.registry import entry
from perpdesk.live.query import LiveQuery
from perpdesk.services import portfolio, trading
from perpdesk.services.accounts import get_account
from perpdesk.services.trading import AccountNotActive, ChangeOutcome, OrderTicket, Placement
from perpdesk.services.trading.access import exchange_name
from perpdesk.services.trading.commands import parse_amend, parse_tp_sl
from perpdesk.services.trading.position_terms import position_for
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.instrument_ticks import ticks_from, ticks_of
from perpdesk.web.live.common import live_runtime
from perpdesk.web.templating import render
from perpdesk.web.trading.common import DepsDep

router = APIRouter(include_in_schema=False)
SETTLE_ON_VIEW_S = 2.0  # a page never waits longer on the exchange for settling
T = TypeVar("T")
C = TypeVar("C")
R = TypeVar("R")

TRADE = "/accounts/{account_id}/trade"
TIF_LABELS = {
    TimeInForce.GTC.value: "GTC",
    TimeInForce.IOC.value: "IOC",
    TimeInForce.FOK.value: "FOK",
    TimeInForce.POST_ONLY.value: "Post-only",
}
TICKET_FIELDS = (
    "symbol",
    "side",
    "type",
    "price",
    "size",
    "leverage",
    "margin_mode",
    "time_in_force",
    "take_profit",
    "stop_loss",
)
STICKY_FIELDS = ("symbol", "type", "leverage", "margin_mode", "time_in_force")
CONFIRMABLE = ("duplicate_ticket", "order_being_confirmed", "leverage_change")  # a confirm button
MESSAGES = {  # ?msg=<code>: fixed texts, so nothing user-supplied is reflected
    "placed": ("ok", "Order placed."),
    "unknown": (
        "warn",
        "The order is being confirmed: the exchange did not answer in time and may still execute it. "
        "It is shown greyed below until perpdesk has read the exchange (within about a minute), "
        "then as placed or not placed. Do not submit it again.",
    ),
    "cancelled_unknown": (
        "warn",
        "The exchange did not answer the cancel: it may have been applied. perpdesk is reading the "
        "order at the exchange and shows below whether it was cancelled. Do not repeat it.",
    ),
    "amended_unknown": (
        "warn",
        "The exchange did not answer the change: it may have been applied. perpdesk is reading the "
        "order at the exchange and shows below whether it changed. Do not repeat it.",
    ),
    "tpsl_unknown": (
        "warn",
        "The exchange did not answer the TP/SL: it may have been set. perpdesk is reading the "
        "position's TP/SL orders and shows below whether it was. Do not repeat it.",
    ),
    "cancelled": ("ok", "Order cancelled."),
    "amended": ("ok", "Order amended."),
    "closed": ("ok", "Close order placed for the position."),
    "leverage": ("ok", "Leverage and margin mode set."),
    "tpsl": ("ok", "Take-profit / stop-loss set for the position."),
}


def _trade_url(account_id: str, **query: str) -> str:
    url = TRADE.format(account_id=account_id)
    return url + ("?" + urlencode(query) if query else "")


def _live(request: Request) -> LiveQuery | None:
    runtime = live_runtime(request)
    return runtime.query if runtime is not None else None


@router.get("/portfolio")
async def portfolio_page(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    snapshots = await portfolio.overview(deps, user.id, _live(request))
    usdt = [s.usdt for s in snapshots if s.usdt is not None]
    return render(
        request,
        "trading/portfolio.html",
        snapshots=snapshots,
        total_equity=sum((b.equity for b in usdt), Decimal(0)),
        total_available=sum((b.available for b in usdt), Decimal(0)),
        total_pnl=sum((s.unrealized_pnl for s in snapshots), Decimal(0)),
        total_positions=sum(len(s.positions) for s in snapshots),
        ticks=await ticks_of(deps, (s.account.venue for s in snapshots)),
    )


async def _or_empty(aw: Awaitable[list[T]]) -> list[T] | BaseException:
    """An optional part of the page: its error is shown beside the parts that loaded."""
    try:
        return await aw
    except (ExchangeError, OSError, TimeoutError) as exc:
        return exc


async def _trade_page(
    request: Request,
    user_id: str,
    account_id: str,
    deps: Any,
    *,
    status: int = 200,
    form: dict[str, str] | None = None,
    error: PerpdeskError | None = None,
    error_field: str | None = None,
    notice: tuple[str, str] | None = None,
) -> Response:
    account = await get_account(deps, user_id, account_id)  # 404 for someone else's account
    settled: list[Placement] = []
    if account.status == "active":
        try:  # what can be decided now (bounded: the background settler does the rest)
            settled = await asyncio.wait_for(
                trading.settle_unknown(deps, user_id, account_id, respect_backoff=True), SETTLE_ON_VIEW_S
            )
        except (ExchangeError, OSError, TimeoutError):
            settled = []
        settled = [p for p in settled if p.status.final]
    # the exchange's parts and our own log, all at once
    # right after a write the exchange's answer may not have reached the mirror yet: read it there
    live = _live(request) if notice is None and error is None else None
    snap, instruments, history, intents, changes = await asyncio.gather(
        portfolio.account_snapshot(deps, user_id, account_id, live),
        _or_empty(trading.instruments_for(deps, account.venue)),
        _or_empty(portfolio.order_history(deps, user_id, account_id, live=live)),
        portfolio.intents(deps, user_id, account_id, limit=20),
        trading.recent_changes(deps, user_id, account_id),
    )
    for part, got in (("instruments", instruments), ("order_history", history)):
        if isinstance(got, BaseException):
            snap.errors.setdefault(part, portfolio.error_dict(got))
    instruments = [] if isinstance(instruments, BaseException) else instruments
    history = [] if isinstance(history, BaseException) else history[:20]
    values = {
        "type": "limit",
        "time_in_force": "gtc",
        "margin_mode": "cross",
        "leverage": "10",
        "symbol": instruments[0].symbol if instruments else "",
    }
    values.update({k: v for k, v in (form or {}).items() if v is not None})
    terms = ticket_terms(snap.positions)
    if error is None and values["symbol"] in terms:  # the ticket starts from the open position
        values["leverage"], values["margin_mode"] = terms[values["symbol"]]
    info = entry(account.exchange).info
    return render(
        request,
        "trading/account.html",
        status,
        account=account,
        exchange_name=exchange_name(deps, account.venue, account.exchange),
        info=info,
        size_unit=info.size_unit(next((i.base for i in instruments if i.symbol == values["symbol"]), "")),
        snap=snap,
        live_state=snap.live_state,
        instruments=instruments,
        ticks=ticks_from(instruments),
        intents=intents,
        history=history,
        settled=settled,
        changes=changes[:5],
        form=values,
        error=error,
        error_field=error_field,
        notice=notice,
        tif_labels=TIF_LABELS,
        ticket_terms=terms,
        ticket_fields=TICKET_FIELDS,
        confirm=error.code if error is not None and error.code in CONFIRMABLE else None,
    )


def ticket_terms(positions: list[Any]) -> dict[str, tuple[str, str]]:
    """symbol -> (leverage, margin mode) of its open position: where a ticket in it starts."""
    held: list[Position] = [getattr(v, "position", v) for v in positions]
    out: dict[str, tuple[str, str]] = {}
    for sym in sorted({p.symbol for p in held}):
        pos = position_for(held, sym)
        if pos is not None and pos.leverage > 0:  # a pushed position's leverage comes with the re-read
            out[sym] = (fmt(pos.leverage), pos.margin_mode.value)
    return out


@router.get(TRADE)
async def trade_page(
    account_id: str,
    request: Request,
    user: CurrentUserDep,
    deps: DepsDep,
    msg: str | None = None,
    ref: str | None = None,
) -> Response:
    notice = MESSAGES.get(msg or "")
    if notice and ref:
        notice = (notice[0], f"{notice[1]} ({ref[:40]})")
    # the ticket's choices survive the redirect after an order (not its price or size)
    kept = {k: request.query_params[k][:40] for k in STICKY_FIELDS if request.query_params.get(k)}
    return await _trade_page(request, user.id, account_id, deps, notice=notice, form=kept)


async def _form(request: Request) -> dict[str, str]:
    data = await request.form()
    return {k: str(v).strip() for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}


async def _failed(
    request: Request,
    user_id: str,
    account_id: str,
    deps: Any,
    exc: PerpdeskError,
    form: dict[str, str] | None = None,
) -> Response:
    status = 422 if isinstance(exc, InputError) else 409 if isinstance(exc, Conflict) else 400
    field = exc.field if isinstance(exc, InputError) else None
    return await _trade_page(
        request, user_id, account_id, deps, status=status, form=form, error=exc, error_field=field
    )


async def _refused(
    request: Request,
    user_id: str,
    account_id: str,
    deps: Any,
    placed: Placement,
    form: dict[str, str] | None = None,
) -> Response:
    """The exchange's refusal of an order, as the connector typed it: an order field at fault is
    marked on the ticket."""
    err = placed.error or ExchangeError("The exchange refused the order.")
    if not err.next_step:
        err.next_step = "Change the order and submit it again."
    field = getattr(err, "field", None) or None
    return await _trade_page(
        request, user_id, account_id, deps, status=422 if field else 400, form=form, error=err,
        error_field=field,
    )


@router.post(TRADE + "/orders")
async def place(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    form = await _form(request)
    ticket = {k: form.get(k, "") for k in TICKET_FIELDS}
    try:
        placed = await trading.place_order(
            deps, user.id, account_id, OrderTicket.from_mapping(ticket),
            confirm_duplicate=form.get("confirm_duplicate") == "1",
            confirm_leverage=form.get("confirm_leverage") == "1",
            live=_live(request),
        )
    except (InputError, Conflict, ExchangeError) as exc:  # Conflict: a duplicate, a leverage change
        if form.get("confirm_leverage") == "1":
            ticket["confirm_leverage"] = "1"  # confirmed once: a "Send another" keeps it
        return await _failed(request, user.id, account_id, deps, exc, ticket)
    if placed.status.final and not placed.ok:
        return await _refused(request, user.id, account_id, deps, placed, ticket)
    code = "placed" if placed.ok else "unknown"
    sticky = {k: ticket[k] for k in STICKY_FIELDS if ticket.get(k)}
    return RedirectResponse(
        _trade_url(account_id, msg=code, ref=placed.client_order_id, **sticky), status_code=303
    )


async def _commanded(
    parse: Callable[[Mapping[str, object]], C], form: dict[str, str], use: Callable[[C], Awaitable[R]]
) -> R:
    """A form parsed into its command inside the action, so _act shows a bad field on the page."""
    return await use(parse(form))


async def _act(
    request: Request, user_id: str, account_id: str, deps: Any, action: Any, done: str, form: dict[str, str]
) -> Response:
    """Await one form's action: back to the page with the outcome, or the page with the error."""
    try:
        result = await action
    except (InputError, AccountNotActive, ExchangeError) as exc:
        return await _failed(request, user_id, account_id, deps, exc)
    if isinstance(result, Placement) and result.status.final and not result.ok:
        return await _refused(request, user_id, account_id, deps, result)
    if isinstance(result, Placement) and not result.ok:
        done = "unknown"
    if isinstance(result, ChangeOutcome) and not result.applied:
        done += "_unknown"
    sticky = {"symbol": form["symbol"]} if form.get("symbol") else {}
    return RedirectResponse(_trade_url(account_id, msg=done, **sticky), status_code=303)


@router.post(TRADE + "/orders/cancel")
async def cancel(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    f = await _form(request)
    action = trading.cancel_order(
        deps,
        user.id,
        account_id,
        f.get("symbol", ""),
        order_id=f.get("order_id") or None,
        client_order_id=f.get("client_order_id") or None,
    )
    return await _act(request, user.id, account_id, deps, action, "cancelled", f)


@router.post(TRADE + "/orders/amend")
async def amend(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    f = await _form(request)
    action = _commanded(
        parse_amend, f, lambda cmd: trading.amend_order(deps, user.id, account_id, cmd)
    )
    return await _act(request, user.id, account_id, deps, action, "amended", f)


@router.post(TRADE + "/positions/close")
async def close(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    f = await _form(request)
    action = trading.close_position(deps, user.id, account_id, f.get("symbol", ""), f.get("side", ""))
    return await _act(request, user.id, account_id, deps, action, "closed", f)


@router.post(TRADE + "/leverage")
async def leverage(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    f = await _form(request)
    action = trading.set_leverage(
        deps, user.id, account_id, f.get("symbol", ""), f.get("leverage", ""), f.get("margin_mode", "")
    )
    return await _act(request, user.id, account_id, deps, action, "leverage", f)


@router.post(TRADE + "/tp-sl")
async def tp_sl(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    f = await _form(request)
    action = _commanded(
        parse_tp_sl, f, lambda cmd: trading.set_tp_sl(deps, user.id, account_id, cmd)
    )
    return await _act(request, user.id, account_id, deps, action, "tpsl", f)
