"""A listed trailing stop's terms from its stored intent (services/trading/trail_terms.py): found
by the exchange's id or by the client id, on the same account only; terms the exchange lists kept;
the mirror's lookup reads once per order, forgets orders no longer listed and retries a failed read."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from perpdesk.core.market import PlanKind, PlanOrder
from perpdesk.core.models import OrderSide
from perpdesk.services.trading.ports import TradingUnitOfWork
from perpdesk.services.trading.trail_terms import StoredTrailTerms, with_stored_terms
from perpdesk.store.base import new_id, utcnow
from perpdesk.store.order_records import IntentRecord
from tests.unit.services.trading_fakes import FakeTradingUnitOfWork, TradingTables

SYM = "SOLUSDT"


def intent(account_id: str, cid: str, order_id: str | None, activation: str, callback: str,
           purpose: str = "trail") -> IntentRecord:
    now = utcnow()
    return IntentRecord(
        id=new_id(), user_id="u", account_id=account_id, exchange="binance", client_order_id=cid,
        purpose=purpose, symbol=SYM, side="sell_close_long", type="market", time_in_force="gtc",
        size=Decimal(5), status="placed", created_at=now, updated_at=now, order_id=order_id,
        trigger_price=Decimal(activation), callback_rate=Decimal(callback),
    )


def listed(order_id: str, cid: str | None, kind: PlanKind = PlanKind.TRAILING) -> PlanOrder:
    """As Binance's openAlgoOrders gives it: no activation price, no callback rate."""
    return PlanOrder(SYM, order_id, cid, kind, OrderSide.SELL_CLOSE_LONG, Decimal(5), Decimal(0), None,
                     "last_price", None, 1)


class Counted:
    def __init__(self, *rows: IntentRecord) -> None:
        self.tables = TradingTables()
        self.tables.intents = {r.id: r for r in rows}
        self.opened = 0
        self.fail = False

    def __call__(self) -> TradingUnitOfWork:
        self.opened += 1
        if self.fail:
            raise ConnectionError("database down")
        return FakeTradingUnitOfWork(self.tables)  # type: ignore[return-value]


def terms(p: PlanOrder) -> tuple[Decimal, Decimal | None]:
    return p.trigger_price, p.callback_rate


async def test_terms_by_algo_id_or_client_id_of_the_same_account_only() -> None:
    db = Counted(
        intent("a", "pd-1", "101", "186.37", "1.37"),
        intent("a", "pd-2", None, "190.05", "0.1"),  # answer lost: found by its client id
        intent("b", "pd-3", "103", "1", "1"),  # another account's
        intent("a", "pd-4", "104", "2", "2", purpose="plan"),  # not a trail
    )
    tp = replace(listed("105", "pd-5", PlanKind.TAKE_PROFIT), trigger_price=Decimal(200))
    given = replace(listed("106", "pd-6"), trigger_price=Decimal("170.5"), callback_rate=Decimal("2"))
    plans = [listed("101", "x"), listed("102", "pd-2"), listed("103", "pd-3"), listed("104", "pd-4"), tp,
             given]
    out = await with_stored_terms(db, "u", "a", plans)
    assert [terms(p) for p in out] == [
        (Decimal("186.37"), Decimal("1.37")), (Decimal("190.05"), Decimal("0.1")),
        (Decimal(0), None), (Decimal(0), None), (Decimal(200), None), (Decimal("170.5"), Decimal(2))]
    assert str(out[0].trigger_price) == "186.37" and str(out[0].callback_rate) == "1.37"
    assert await with_stored_terms(db, "u", "a", [tp, given]) == [tp, given]
    assert db.opened == 1  # no read when no trailing stop lacks its terms


async def test_the_mirror_lookup_reads_once_per_order_and_forgets_what_is_gone() -> None:
    db = Counted(intent("a", "pd-1", "101", "186.37", "1.37"))
    look = StoredTrailTerms(db, "u", "a")
    one, stranger = listed("101", "pd-1"), listed("900", "web-1")  # placed on the exchange's site
    for _ in range(3):
        out = await look([one, stranger])
        assert [terms(p) for p in out] == [(Decimal("186.37"), Decimal("1.37")), (Decimal(0), None)]
    assert db.opened == 1
    assert await look([]) == [] and look.known == {}
    db.fail = True  # a failed read: listed without the terms, read again next time
    assert [terms(p) for p in await look([one])] == [(Decimal(0), None)]
    db.fail = False
    assert [terms(p) for p in await look([one])] == [(Decimal("186.37"), Decimal("1.37"))]
    assert db.opened == 3
