"""The exchange's rule for the live USDT figures, between reads: equity = wallet balance + every
position's uPnL; available = wallet - margin - order margin + cross uPnL (never below 0), less the
rounding the exchange takes; an asset push (no equity in it) keeps the wallet balance right."""

from __future__ import annotations

from decimal import Decimal

from perpdesk.core.models import Balance, MarginMode, Position, PositionSide
from perpdesk.live.state import AccountState
from perpdesk.live.views import at_mark, live_balances

D = Decimal


def pos(mode: MarginMode, side: PositionSide = PositionSide.LONG, entry: str = "100") -> Position:
    return Position("XUSDT", side, D(10), D(entry), D(entry), D(5), mode, D(0), D(0), D(200), None, D(1))


def state(available: str, cross_read: str) -> AccountState:
    st = AccountState()
    # wallet 1000, margin 200, frozen 50: available as read = 750 + cross uPnL at the read's mark
    st.set_balances([Balance("USDT", D(1000) + D(cross_read), D(available), D(cross_read), D(200), D(50))],
                    D(cross_read))
    return st


def test_cross_upnl_moves_available_and_isolated_does_not() -> None:
    st = state("750", "0")
    cross = [at_mark(pos(MarginMode.CROSS), D(103))]  # +30
    (b,) = live_balances(list(st.balances.values()), st.wallets, cross, st.available_rounding)
    assert (b.equity, b.available, b.unrealized_pnl) == (D(1030), D(780), D(30))
    isolated = [at_mark(pos(MarginMode.ISOLATED), D(103))]
    (b,) = live_balances(list(st.balances.values()), st.wallets, isolated, st.available_rounding)
    assert (b.equity, b.available) == (D(1030), D(750))
    deep = [at_mark(pos(MarginMode.CROSS), D(10))]  # -900: nothing is available, never negative
    (b,) = live_balances(list(st.balances.values()), st.wallets, deep, st.available_rounding)
    assert (b.equity, b.available) == (D(100), D(0))


def test_the_exchanges_rounding_is_kept_through_moves_and_pushes() -> None:
    st = state("749.99999999", "0")  # its margin had more decimals than shown: 1e-8 less
    assert st.available_rounding == {"USDT": D("-0.00000001")}
    cross = [at_mark(pos(MarginMode.CROSS), D("100.5"))]
    (b,) = live_balances(list(st.balances.values()), st.wallets, cross, st.available_rounding)
    assert b.available == D("754.99999999")
    # a fill's fee of 1.5 arrives as an asset push (available only) at that mark
    st.apply_assets([Balance("USDT", D(0), D("753.49999999"), D(0), D(200), D(50))], D(5))
    assert st.wallets["USDT"] == D("998.5")
    (b,) = live_balances(list(st.balances.values()), st.wallets, cross, st.available_rounding)
    assert (b.equity, b.available) == (D("1003.5"), D("753.49999999"))


def test_a_read_whose_mark_moved_meanwhile_does_not_teach_a_rounding() -> None:
    st = state("760", "0")  # 10 more than the rule at that uPnL: the mark moved between reads
    assert st.available_rounding == {}
