"""Live views across processes, without a server: a whole view survives the wire exactly, large
payloads are split under NOTIFY's limit and joined back, and a web process shows a view as
disconnected once no worker says it holds the account."""

from __future__ import annotations

from decimal import Decimal

import orjson

from perpdesk.core.ledger import Fill
from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import (
    Balance,
    MarginMode,
    Order,
    OrderSide,
    OrderState,
    OrderType,
    Position,
    PositionMode,
    PositionSide,
)
from perpdesk.live.pg_bus import NOTIFY_LIMIT, Joiner, split_message
from perpdesk.live.relay import RemoteViews, account_live
from perpdesk.live.views import AccountLive, Freshness, FreshnessView


def a_view(orders: int = 1) -> AccountLive:
    pos = Position("BTCUSDT", PositionSide.LONG, Decimal("3"), Decimal("60000.5"), Decimal("61000"),
                   Decimal("10"), MarginMode.CROSS, Decimal("3"), Decimal("-0.25"), Decimal("18.3"),
                   None, Decimal("0.001"))
    order = [Order("BTCUSDT", f"o{i}", None, OrderSide.BUY_OPEN_LONG, OrderType.LIMIT, OrderState.NEW,
                   Decimal("1"), Decimal("0"), Decimal("59000.1"), None, Decimal("10"), MarginMode.CROSS,
                   1700000000000 + i, 1700000000000 + i) for i in range(orders)]
    plan = PlanOrder("BTCUSDT", "p1", "c1", PlanKind.STOP_LOSS, OrderSide.SELL_CLOSE_LONG, Decimal("3"),
                     Decimal("55000"), None, "mark", None, 1700000000001)
    fill = Fill("t1", "o0", "BTCUSDT", "buy", Decimal("60000.5"), Decimal("3"), Decimal("0"),
                Decimal("0.09"), 1700000000002)
    return AccountLive("acc1", "Main ü", "bitmart", FreshnessView(Freshness.FRESH, 1700000000003),
                       balances=[Balance("USDT", Decimal("1003.01"), Decimal("900"), Decimal("3"))],
                       positions=[pos], live_marks={"BTCUSDT"}, open_orders=order, plans=[plan],
                       fills=[fill], snapshot_at_ms=1700000000004, finished=[], ledger_version="v7",
                       ledger_changed_ms=1700000000005, position_mode=PositionMode.ONE_WAY)


def envelope(view: AccountLive) -> dict[str, object]:
    # what crosses the wire: JSON, as PostgreSQL carries it
    return orjson.loads(orjson.dumps({"user_id": "u1", "view": view.to_dict(full=True),
                                      "ledger_version": view.ledger_version,
                                      "ledger_changed_ms": view.ledger_changed_ms}))


def test_a_whole_view_is_rebuilt_exactly() -> None:
    view = a_view()
    again = account_live(envelope(view))  # type: ignore[arg-type]
    assert again == view
    assert again.to_dict() == view.to_dict()


def test_large_messages_are_split_under_the_limit_and_joined_in_order() -> None:
    raw = orjson.dumps(envelope(a_view(orders=300)))
    assert len(raw) > 3 * NOTIFY_LIMIT
    parts = split_message(raw, "w1-9")
    assert len(parts) > 1 and all(len(p.encode()) <= NOTIFY_LIMIT for p in parts)
    joiner = Joiner()
    got = [joiner.feed(p) for p in parts]
    assert got[:-1] == [None] * (len(parts) - 1) and got[-1] == raw
    small = b'{"o":"x"}'
    assert split_message(small, "w1-10") == [small.decode()] and joiner.feed(small.decode()) == small
    # a lost chunk (the connection dropped between two): the message is forgotten, not garbled
    assert Joiner().feed(parts[1]) is None


def test_web_views_are_scoped_to_their_user_and_go_disconnected_without_a_holder() -> None:
    now = [100.0]
    views = RemoteViews(held_for_s=15, clock=lambda: now[0])
    shown = views.incoming("account:acc1", "account", envelope(a_view()))  # type: ignore[arg-type]
    assert shown == a_view().to_dict(full=False)  # what a local mirror's subscribers get
    assert views.fresh("u1", "acc1") == a_view()
    assert views.account("u2", "acc1") is None  # someone else's account
    assert [v.account_id for v in views.user_accounts("u1")] == ["acc1"]
    now[0] += 10
    views.incoming("ctl:held", "held", {"owner": "w2", "account_ids": ["acc1"]})
    now[0] += 10
    assert views.fresh("u1", "acc1") is not None  # held 10 s ago
    now[0] += 6
    gone = views.account("u1", "acc1")
    assert gone is not None and gone.freshness.state is Freshness.DISCONNECTED
    assert views.fresh("u1", "acc1") is None  # callers read the exchange meanwhile
    now[0] += 20 * 15
    views.incoming("ctl:held", "held", {"owner": "w2", "account_ids": []})
    assert views.account("u1", "acc1") is None and not views.views  # disconnected for good: forgotten
