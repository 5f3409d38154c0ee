"""Where a ticket's position terms are read: the live mirror while fresh, unless the mirror knows a
position only from a push (BitMart's position push carries no leverage). Pure: fakes for both."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from perpdesk.core.models import MarginMode, Position, PositionSide
from perpdesk.services.trading.position_terms import live_positions


def pos(leverage: str) -> Position:
    return Position("ETHUSDT", PositionSide.LONG, Decimal(2), Decimal(3500), Decimal(3500), Decimal(leverage),
                    MarginMode.CROSS, Decimal(0), Decimal(0), Decimal(0))


class Exchange:
    def __init__(self) -> None:
        self.reads = 0

    async def positions(self, creds: Any, symbol: str | None = None) -> list[Position]:
        self.reads += 1
        return [pos("10")]


def setup(mirrored: Position) -> tuple[Any, Any, Any, Exchange]:
    exchange = Exchange()
    deps = SimpleNamespace(connector_for=lambda venue: exchange)
    ref = SimpleNamespace(user_id="u", id="a", venue=None)
    live = SimpleNamespace(fresh=lambda user_id, account_id: SimpleNamespace(positions=[mirrored]))
    return deps, ref, live, exchange


async def test_a_fresh_mirror_is_read_without_the_exchange() -> None:
    deps, ref, live, exchange = setup(pos("20"))
    assert [p.leverage for p in await live_positions(deps, ref, None, "ETHUSDT", live)] == [Decimal(20)]
    assert exchange.reads == 0


async def test_a_pushed_position_without_leverage_is_read_at_the_exchange() -> None:
    deps, ref, live, exchange = setup(pos("0"))
    assert [p.leverage for p in await live_positions(deps, ref, None, "ETHUSDT", live)] == [Decimal(10)]
    assert exchange.reads == 1
