"""BitMart's trades and transaction-history rows as core ledger types."""

from __future__ import annotations

from typing import Any

from perpdesk.core.ledger import Fill, Flow, Transaction
from perpdesk.exchanges.bitmart.parse import SIDES_BY_CODE, d0

FLOWS = {
    "Transfer": Flow.TRANSFER,
    "Realized PNL": Flow.REALIZED_PNL,
    "Funding Fee": Flow.FUNDING,
    "Commission Fee": Flow.FEE,
    "Liquidation Clearance": Flow.LIQUIDATION,
}


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def fill(row: dict[str, Any]) -> Fill:
    side = SIDES_BY_CODE.get(_int(row.get("side")))
    return Fill(
        trade_id=str(row.get("trade_id", "")),
        order_id=str(row.get("order_id", "")),
        symbol=str(row.get("symbol", "")),
        side=side.value if side is not None else str(row.get("side", "")),
        price=d0(row.get("price")),
        size=d0(row.get("vol")),
        realised_pnl=d0(row.get("realised_profit")),
        fee=d0(row.get("paid_fees")),
        time_ms=_int(row.get("create_time")),
    )


def transaction(row: dict[str, Any]) -> Transaction:
    return Transaction(
        tran_id=str(row.get("tran_id", "")),
        symbol=str(row.get("symbol", "")),
        flow=FLOWS.get(str(row.get("type", "")), Flow.OTHER),
        amount=d0(row.get("amount")),
        currency=str(row.get("asset", "USDT")),
        time_ms=_int(row.get("time")),
    )
