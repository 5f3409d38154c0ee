"""The fills history as CSV, streamed row by row: exact decimal strings, and text cells that a
spreadsheet would run as a formula (=, +, -, @, tab, CR at the start) quoted with a leading '."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import Any

from perpdesk.services.pnl_history import FillRow

COLUMNS = (
    "time", "account", "symbol", "side", "price", "size", "realised_pnl", "fee", "order_id", "trade_id",
)
NUMERIC = frozenset({"price", "size", "realised_pnl", "fee"})  # exact Decimal strings: never formulas
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value


def _line(values: Iterable[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(values)
    return buf.getvalue()


def fills_csv(rows: Iterable[FillRow]) -> Iterator[str]:
    yield _line(COLUMNS)
    for r in rows:
        d = r.to_dict()
        yield _line(d[c] if c in NUMERIC else safe_cell(str(d[c])) for c in COLUMNS)
