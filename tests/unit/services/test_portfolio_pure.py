"""Pure pieces of the portfolio: PnL buckets per day / ISO week / month, CSV cells that would run
as formulas, liquidation distance, the webhook signature."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from perpdesk.core.ledger import Fill, Flow, Transaction
from perpdesk.core.models import MarginMode, Position, PositionSide
from perpdesk.services.fills_csv import fills_csv, safe_cell
from perpdesk.services.notification_watch import liquidation_distance_pct
from perpdesk.services.pnl_history import FillRow, Period, bucket, totals
from perpdesk.services.trading import AccountRef
from perpdesk.services.webhooks import sign, verify


def ms(y: int, m: int, d: int, h: int = 12) -> int:
    return int(datetime(y, m, d, h, tzinfo=UTC).timestamp() * 1000)


def txn(flow: Flow, amount: str, when: int) -> Transaction:
    return Transaction("t", "BTCUSDT", flow, Decimal(amount), "USDT", when)


LEDGER = [
    txn(Flow.REALIZED_PNL, "10.5", ms(2026, 11, 29)),  # Sunday
    txn(Flow.FEE, "-0.25", ms(2026, 11, 30)),  # Monday: a new ISO week
    txn(Flow.FUNDING, "-0.0001", ms(2026, 12, 1, 0)),  # a new month, at 00:00 UTC
    txn(Flow.TRANSFER, "1000", ms(2026, 12, 1)),  # not PnL
    txn(Flow.REALIZED_PNL, "-3", ms(2026, 12, 1, 23)),
]


def test_buckets_per_day_week_and_month() -> None:
    days = bucket(LEDGER, Period.DAY)
    assert [r.period for r in days] == [date(2026, 12, 1), date(2026, 11, 30), date(2026, 11, 29)]
    assert (days[0].realised_pnl, days[0].funding, days[0].net) == (Decimal(-3), Decimal("-0.0001"),
                                                                   Decimal("-3.0001"))
    weeks = bucket(LEDGER, Period.WEEK)
    assert [(r.period, r.realised_pnl) for r in weeks] == [(date(2026, 11, 30), Decimal(-3)),
                                                         (date(2026, 11, 23), Decimal("10.5"))]
    months = bucket(LEDGER, Period.MONTH)
    assert [r.period for r in months] == [date(2026, 12, 1), date(2026, 11, 1)]
    total = totals(months)
    assert (total.realised_pnl, total.fees, total.funding) == (
        Decimal("7.5"), Decimal("-0.25"), Decimal("-0.0001")
    )
    assert months[1].to_dict() == {"period": "2026-11-01", "realised_pnl": "10.5", "fees": "-0.25",
                                   "funding": "0", "net": "10.25"}


def test_csv_quotes_formulas_but_keeps_numbers_exact() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+x", "-x", "@SUM(A1)", "\tx", "ok")] == [
        "'=1+1", "'+x", "'-x", "'@SUM(A1)", "'\tx", "ok"]
    ref = AccountRef("a1", "u1", "bitmart", "=HYPERLINK(\"http://x\")", "active")
    fill = Fill("7", "9", "BTCUSDT", "sell_close_long", Decimal("95000.10"), Decimal(3),
                Decimal("-1.50000000"), Decimal("0.0001"), ms(2026, 12, 1))
    header, line = "".join(fills_csv([FillRow(ref, fill)])).splitlines()
    assert header.startswith("time,account,symbol")
    assert line.split(",")[1] == "\"'=HYPERLINK(\"\"http://x\"\")\""
    assert ",95000.1,3,-1.5,0.0001," in line  # exact values, trailing zeros dropped


def test_liquidation_distance() -> None:
    def pos(mark: str, liq: str | None) -> Position:
        return Position("BTCUSDT", PositionSide.LONG, Decimal(1), Decimal(100), Decimal(mark), Decimal(10),
                        MarginMode.CROSS, Decimal(0), Decimal(0), Decimal(10), Decimal(liq) if liq else None)

    assert liquidation_distance_pct(pos("100", "90")) == Decimal("10.00")
    assert liquidation_distance_pct(pos("100", None)) is None


def test_signature_and_replay_window() -> None:
    secret, body = b"whsec_x", b'{"id":"1"}'
    sig = sign(secret, 1_700_000_000, body)
    assert sig.startswith("v1=") and len(sig) == 3 + 64
    assert verify(secret, "1700000000", body, sig, now=1_700_000_100)
    assert not verify(secret, "1700000000", body, sig, now=1_700_000_400)  # too old: a replay
    assert not verify(b"other", "1700000000", body, sig, now=1_700_000_000)
    assert not verify(secret, "1700000001", body, sig, now=1_700_000_000)
    assert not verify(secret, "soon", body, sig)
