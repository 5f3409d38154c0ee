"""Every number a user types or sends goes through the one parser (perpdesk/core/decimal_input.py).

The rule, checked on the source with `ast`: outside the parser, `Decimal(...)` is called only on
literals and constants (`Decimal("0.01")`, `Decimal(100)`, `Decimal(WIDTH - 2 * PAD)`), or in a
module listed below, each of which converts numbers that are not a user's: the exchange's answers,
the live mirror's events (built from those answers) and our own database's values. Plain
`Decimal()` reads Unicode digits, `1_000`, NaN and exponents large enough to take gigabytes when
formatted (`1e-999999999`): a new call on user input must use `parse_number` or `DecimalText`, or
be argued for here. The sandbox (perpdesk/sandbox) is the exchange, not the platform: its inputs
are BitMart's and are fuzzed by tests/integration/sandbox_fuzz.
"""

from __future__ import annotations

import ast
from pathlib import Path

import perpdesk

ROOT = Path(perpdesk.__file__).parent
ALLOWED = {
    "core/decimal_input.py": "the parser itself",
    "core/number_text.py": "showing values we hold (pages, notification texts), never parsing input",
    "exchanges/bitmart/parse.py": "BitMart's answers",
    "exchanges/binance/parse.py": "Binance's answers",
    "exchanges/bitmart/markets.py": "BitMart's contract details (leverage brackets)",
    "exchanges/bitmart/account_calls.py": "BitMart's plan orders (TP/SL trigger prices)",
    "live/relay.py": "account views a worker's live mirror published (exchange data)",
    "live/triggers.py": "triggered plan orders published by the live mirror (exchange data)",
    "services/live_notifications.py": "account views published by the live mirror (exchange data)",
    "store/orders.py": "our own database's values",
}


def _is_decimal_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
    return name == "Decimal"


def _constant(node: ast.AST) -> bool:
    """A literal, an UPPER_CASE name, or arithmetic of those."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id.isupper()
    if isinstance(node, ast.BinOp):
        return _constant(node.left) and _constant(node.right)
    if isinstance(node, ast.UnaryOp):
        return _constant(node.operand)
    return False


def decimal_calls_on_values(source: str) -> list[int]:
    """Line numbers of `Decimal(x)` calls whose argument is not a constant."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if _is_decimal_call(node) and not all(_constant(a) for a in node.args)  # type: ignore[attr-defined]
    ]


def test_decimal_is_called_on_values_only_where_allowed() -> None:
    offenders = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("sandbox/") or rel in ALLOWED:
            continue
        offenders += [f"{rel}:{line}" for line in decimal_calls_on_values(path.read_text())]
    assert not offenders, f"Decimal() on a value outside the parser (use parse_number): {offenders}"


def test_the_allow_list_is_current() -> None:
    for rel in ALLOWED:
        assert decimal_calls_on_values((ROOT / rel).read_text()), f"{rel} no longer needs to be allowed"


def test_the_check_sees_what_it_must() -> None:
    assert decimal_calls_on_values("pct = Decimal(str(value).strip())") == [1]  # the old parse_pct
    assert decimal_calls_on_values("import decimal\nx = decimal.Decimal(form['size'])") == [2]
    assert decimal_calls_on_values("A = Decimal('0.01')\nB = Decimal(100)\nC = Decimal(W - 2 * PAD)") == []
