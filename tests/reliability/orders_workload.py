"""Suite 1's workload: many orders (place, amend, cancel) over many accounts while a share of the
sandbox's answers is faulted, then a full comparison of perpdesk's records with the exchange.

Each account is driven by a careful trader: one operation per order, never repeated while its
outcome is being confirmed; an order the exchange refused (or that is known not placed) may be
sent again with a new client order id; a cancel or amend refused outright is retried. At the end
(faults cleared, everything settled) it counts:

- duplicates: operations with more than one order at the exchange;
- lost: orders perpdesk records as placed that the exchange lacks, or orders with perpdesk's
  client-id prefix at the exchange that perpdesk has no placed record of;
- disagreeing: records whose status the exchange contradicts (an intent, or a cancel/amend
  settled applied / not applied).

Timings are the exchanges' scaled down: window WINDOW_S (BitMart's X-BM-TIMESTAMP window,
Binance's recvWindow), timeout TIMEOUT_S, latencies past each. The same workload runs on either
exchange (`Dialect`: the requests faulted, Binance's 5xx shapes, the order size's unit).
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from perpdesk.core.errors import ExchangeError, PerpdeskError
from perpdesk.core.models import Credentials, Order, OrderState
from perpdesk.services import connect_manual, trading
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.trading.commands import parse_amend
from perpdesk.store.orders import ChangeStatus, IntentStatus, OrderChange, OrderIntent
from perpdesk.store.repos import UserRepo

ETH = "ETHUSDT"
MARK = Decimal("3500")
WINDOW_S = 2.0
TIMEOUT_S = 0.5
MARGIN_S = 0.3
Request = tuple[str, str | None]  # path, and the method where the path serves several


@dataclass(frozen=True)
class Dialect:
    exchange: str
    faulted: tuple[Request, ...]  # the trading requests: writes, and the reads that settle them
    http_errors: tuple[tuple[int, float], ...]  # 5xx status -> share of the faults
    size: str  # one order's size (BitMart: contracts; Binance: ETH)


BITMART = Dialect(
    "bitmart",
    tuple(
        (path, None)
        for path in (
            "/contract/private/submit-order",
            "/contract/private/modify-limit-order",
            "/contract/private/cancel-order",
            "/contract/private/get-open-orders",
            "/contract/private/order-history",
        )
    ),
    ((500, 0.15), (503, 0.1)),
    "1",
)
# Binance: 500 -1000 and 503 -1001 (did nothing), 504 = the backend timeout (executed, then -1007)
BINANCE = Dialect(
    "binance",
    (
        ("/fapi/v1/order", "POST"),
        ("/fapi/v1/order", "PUT"),
        ("/fapi/v1/order", "DELETE"),
        ("/fapi/v1/order", "GET"),  # the look-up by client order id
        ("/fapi/v1/openOrders", "GET"),
        ("/fapi/v1/allOrders", "GET"),
    ),
    ((500, 0.1), (503, 0.075), (504, 0.075)),
    "0.1",
)
DIALECTS = {d.exchange: d for d in (BITMART, BINANCE)}


def fault_mix(rate: float, dialect: Dialect = BITMART) -> list[dict[str, Any]]:
    """`rate` of the answers on the trading paths faulted, split over the kinds (each its own draw)."""
    share: dict[tuple[str, int], float] = {
        ("latency", 700): 0.2,  # past perpdesk's timeout, inside the window: executes late
        ("latency", 2400): 0.1,  # past the window: refused by the exchange when it arrives
        **{("http_error", status): part for status, part in dialect.http_errors},
        ("rate_limit", 0): 0.15,
        ("drop", 0): 0.15,
        ("execute_then_drop", 0): 0.15,
    }
    out = []
    for path, method in dialect.faulted:
        for (kind, arg), part in share.items():
            spec: dict[str, Any] = {"kind": kind, "path": path, "method": method, "probability": rate * part}
            if kind == "latency":
                spec["latency_ms"] = arg
            elif kind == "http_error":
                spec["status"] = arg
            out.append(spec)
    return out


@dataclass
class Op:
    """One order the trader wants: placed once, maybe amended, maybe cancelled."""

    account: int
    price: Decimal
    cids: list[str] = field(default_factory=list)  # every client order id sent for it
    amend_to: Decimal | None = None
    cancel: bool = False
    amend_change: str | None = None  # the OrderChange id when the amend's answer was lost
    cancel_change: str | None = None
    amended: bool | None = None  # known at once: True / False; None = lost or not done
    cancelled: bool | None = None


@dataclass
class Figures:
    exchange: str = "bitmart"
    orders: int = 0
    accounts: int = 0
    sends: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)
    faults_hit: int = 0
    answers: int = 0
    duplicates: int = 0
    lost: int = 0
    disagreeing: int = 0
    unsettled: int = 0
    elapsed_s: float = 0.0
    accounts_s: float = 0.0
    settle_s: float = 0.0
    problems: list[str] = field(default_factory=list)
    done: int = 0
    started: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"{self.exchange}: orders {self.orders} over {self.accounts} accounts, {self.sends} submits, "
            f"{self.elapsed_s:.1f} s under faults + {self.settle_s:.1f} s settling "
            f"(accounts connected in {self.accounts_s:.1f} s)",
            f"faults hit: {self.faults_hit} on {self.answers} requests to the faulted paths "
            f"({100 * self.faults_hit / max(1, self.answers):.1f}%)",
            "first outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
            "cancels/amends: " + ", ".join(f"{k} {v}" for k, v in sorted(self.changes.items())),
            f"duplicates {self.duplicates}, lost {self.lost}, disagreeing records {self.disagreeing}, "
            f"still unsettled {self.unsettled}",
        ]


@dataclass
class Account:
    user_id: str
    account_id: str
    creds: Credentials


async def make_accounts(deps: AccountsDeps, admin: Any, n: int, exchange: str = "bitmart") -> list[Account]:
    out = []
    for _ in range(n):
        async with deps.sessions() as s, s.begin():
            user_id = (await UserRepo(s).create(f"r-{secrets.token_hex(5)}@example.com", "x")).id
        bm = admin.create_user(whitelisted=True, futures_deposit={"USDT": "1000000"})
        if exchange == "binance":
            body = {"email": bm["email"], "dialect": "binance", "permissions": ["future_trade"]}
            key = admin.client.call("POST", "/keys", {**body, "ip": ["127.0.0.1"]})
            creds = Credentials(key["api_key"], key["secret_key"])
        else:
            key = admin.create_key(bm["email"], memo="m" + secrets.token_hex(3))
            creds = Credentials(key["api_key"], key["secret_key"], key["memo"])
        account, _ = await connect_manual.add(deps, user_id, creds, label="R", exchange=exchange)
        out.append(Account(user_id, account.id, creds))
    return out


async def _place(deps: AccountsDeps, acc: Account, op: Op, figures: Figures, size: str) -> None:
    ticket = {
        "symbol": ETH,
        "side": "buy",
        "type": "limit",
        "price": str(op.price),
        "size": size,
        "leverage": "5",
        "margin_mode": "cross",
    }
    for _attempt in range(4):
        try:
            placed = await trading.place_order(deps, acc.user_id, acc.account_id, ticket)
        except PerpdeskError as exc:  # e.g. the instruments could not be read: nothing was sent
            figures.outcomes["refused_before_sending:" + exc.code] += 1
            wait = getattr(exc, "retry_after", None)  # a 429's wait (the traders spread), else a pause
            await asyncio.sleep(wait + random.random() if wait else 0.2)
            continue
        figures.sends += 1
        op.cids.append(placed.client_order_id)
        figures.outcomes[placed.status.value] += 1
        if placed.status in (IntentStatus.REJECTED, IntentStatus.NOT_PLACED):
            # known not placed: the trader may send it again, after a 429's wait (not all at once)
            wait = getattr(placed.error, "retry_after", None)
            await asyncio.sleep(wait + random.random() if wait else 0.05)
            continue
        return


async def _change(deps: AccountsDeps, acc: Account, op: Op, kind: str, figures: Figures) -> None:
    cid = op.cids[-1]
    for _attempt in range(4):
        try:
            if kind == "amend":
                done = await trading.amend_order(deps, acc.user_id, acc.account_id, parse_amend(
                    {"symbol": ETH, "client_order_id": cid, "price": str(op.amend_to)}
                ))
            else:
                done = await trading.cancel_order(deps, acc.user_id, acc.account_id, ETH, client_order_id=cid)
        except ExchangeError as exc:  # refused: it did nothing, the trader tries again
            figures.changes[f"{kind}_refused:{exc.code}"] += 1
            wait = getattr(exc, "retry_after", None)
            await asyncio.sleep(wait + random.random() if wait else 0.1)
            continue
        figures.changes[f"{kind}_{done.status.value}"] += 1
        if kind == "amend":
            op.amended, op.amend_change = (True, None) if done.applied else (None, done.change_id)
        else:
            op.cancelled, op.cancel_change = (True, None) if done.applied else (None, done.change_id)
        return


async def _status(deps: AccountsDeps, cid: str) -> str | None:
    async with deps.sessions() as s:
        return await s.scalar(select(OrderIntent.status).where(OrderIntent.client_order_id == cid))


PROGRESS_EVERY = 1000


async def drive_account(
    deps: AccountsDeps, acc: Account, ops: list[Op], figures: Figures, size: str
) -> None:
    for op in ops:
        await _place(deps, acc, op, figures, size)
        figures.done += 1
        if figures.done % PROGRESS_EVERY == 0:
            print(f"  {figures.done} orders sent ({time.monotonic() - figures.started:.0f} s)", flush=True)
        if not op.cids or await _status(deps, op.cids[-1]) != IntentStatus.PLACED.value:
            continue  # being confirmed or not placed: the trader does not touch it
        if op.amend_to is not None:
            await _change(deps, acc, op, "amend", figures)
            if op.amended is None:
                continue  # the amend is being confirmed: leave the order alone
        if op.cancel:
            await _change(deps, acc, op, "cancel", figures)


async def exchange_view(conn: Any, acc: Account) -> dict[str, list[Order]]:
    """Every order of the account at the exchange by client order id (open and finished; each
    order once: Binance's allOrders lists the open ones too)."""
    opened = await conn.open_orders(acc.creds, ETH)
    history = await conn.order_history(acc.creds, ETH)
    assert len(opened) < 100 and len(history) < 300, "the workload must stay within one page"
    seen: dict[str, list[Order]] = {}
    ids: set[str] = set()
    for o in [*opened, *history]:
        if o.client_order_id and o.order_id not in ids:
            ids.add(o.order_id)
            seen.setdefault(o.client_order_id, []).append(o)
    return seen


async def verify(
    deps: AccountsDeps,
    conn: Any,
    accounts: list[Account],
    ops: list[Op],
    figures: Figures,
) -> None:
    async with deps.sessions() as s:
        intents = {r.client_order_id: r for r in await s.scalars(select(OrderIntent))}
        changes = {c.id: c for c in await s.scalars(select(OrderChange))}
    figures.unsettled = sum(1 for r in intents.values() if not IntentStatus(r.status).final)
    figures.unsettled += sum(1 for c in changes.values() if c.status == ChangeStatus.UNKNOWN.value)
    views = await asyncio.gather(*(exchange_view(conn, a) for a in accounts))
    by_account = {a.account_id: v for a, v in zip(accounts, views, strict=True)}
    for acc, view in zip(accounts, views, strict=True):
        for cid, found in view.items():
            if len(found) > 1:
                figures.duplicates += len(found) - 1
            row = intents.get(cid)
            if cid.startswith("pd") and (row is None or row.status != IntentStatus.PLACED.value):
                figures.lost += 1
                figures.problems.append(f"{cid} at the exchange, record {row.status if row else None}")
        del acc
    for op in ops:
        view = by_account[accounts[op.account].account_id]
        live = [cid for cid in op.cids if cid in view]
        if len(live) > 1:
            figures.duplicates += len(live) - 1
            figures.problems.append(f"op {op.price}: {len(live)} orders at the exchange")
        for cid in op.cids:
            row = intents[cid]
            if row.status == IntentStatus.PLACED.value and cid not in view:
                figures.lost += 1
                figures.problems.append(f"{cid} placed in perpdesk, absent at the exchange")
            if row.status != IntentStatus.PLACED.value and cid in view:
                figures.disagreeing += 1  # (also counted lost above: a record the exchange contradicts)
        if not live:
            continue
        order = view[live[0]][0]
        amended = (
            op.amended
            if op.amend_change is None
            else (changes[op.amend_change].status == ChangeStatus.APPLIED.value)
        )
        cancelled = (
            op.cancelled
            if op.cancel_change is None
            else (changes[op.cancel_change].status == ChangeStatus.APPLIED.value)
        )
        if op.amend_to is not None and amended is not None:
            want = op.amend_to if amended else op.price
            if order.price != want:
                figures.disagreeing += 1
                figures.problems.append(f"{live[0]} price {order.price}, perpdesk says amended={amended}")
        if op.cancel and cancelled is not None:
            if (order.state is OrderState.CANCELLED) != cancelled:
                figures.disagreeing += 1
                figures.problems.append(f"{live[0]} {order.state.value}, perpdesk says cancelled={cancelled}")


def plan_ops(n_orders: int, n_accounts: int, seed: int = 7) -> list[Op]:
    rng = random.Random(seed)
    ops = []
    for i in range(n_orders):
        account = i % n_accounts
        price = (MARK / 2 - Decimal(i // n_accounts)).quantize(Decimal("0.01"))  # rests, unique per account
        amend_to = price - Decimal("0.5") if rng.random() < 0.5 else None
        ops.append(Op(account, price, amend_to=amend_to, cancel=rng.random() < 0.6))
    return ops


async def run(
    deps: AccountsDeps,
    conn: Any,
    sandbox: Any,
    *,
    n_orders: int,
    n_accounts: int,
    fault_rate: float = 0.10,
    settle_timeout_s: float = 60.0,
    dialect: Dialect = BITMART,
) -> Figures:
    admin = sandbox.admin
    admin.set_price(ETH, str(MARK))
    t0 = time.monotonic()
    accounts = await make_accounts(deps, admin, n_accounts, dialect.exchange)
    ops = plan_ops(n_orders, n_accounts)
    figures = Figures(dialect.exchange, n_orders, n_accounts, accounts_s=time.monotonic() - t0)
    settler = trading.IntentSettler(deps, interval_s=0.5, reconcile_every=0)
    admin.clear_faults()
    ids = [admin.fault(**spec)["id"] for spec in fault_mix(fault_rate, dialect)]
    started = figures.started = time.monotonic()
    settler.start()
    try:
        per_account: list[list[Op]] = [[] for _ in accounts]
        for op in ops:
            per_account[op.account].append(op)
        await asyncio.gather(
            *(
                drive_account(deps, a, o, figures, dialect.size)
                for a, o in zip(accounts, per_account, strict=True)
            )
        )
        listed = admin.client.call("GET", "/faults")["faults"]
        figures.faults_hit = sum(f["hits"] for f in listed if f["id"] in ids)
        per_path: dict[tuple[str, str | None], int] = {}
        for f in listed:  # every fault of a request sees it: count each request once
            req = (f["path"], f["method"])
            per_path[req] = max(per_path.get(req, 0), f["seen"])
        figures.answers = sum(per_path.values())
        admin.clear_faults()
        figures.elapsed_s = time.monotonic() - started
        # everything unknown is decided within one window (plus the settler's interval)
        deadline = time.monotonic() + max(60.0, n_orders / 40)
        while time.monotonic() < deadline:
            await trading.settle_due(deps)
            async with deps.sessions() as s:
                open_intents = await s.scalar(
                    select(OrderIntent.id)
                    .where(OrderIntent.status.in_((IntentStatus.UNKNOWN.value, IntentStatus.PENDING.value)))
                    .limit(1)
                )
                open_changes = await s.scalar(
                    select(OrderChange.id).where(OrderChange.status == ChangeStatus.UNKNOWN.value).limit(1)
                )
            if open_intents is None and open_changes is None:
                break
            await asyncio.sleep(0.3)
    finally:
        await settler.stop()
        admin.clear_faults()
    figures.settle_s = time.monotonic() - started - figures.elapsed_s
    await verify(deps, conn, accounts, ops, figures)
    return figures
