"""Field-by-field, type-by-type comparison of a documented example with a served answer."""

from __future__ import annotations

from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def shape_problems(
    expected: Any,
    actual: Any,
    *,
    allowed: frozenset[str] = frozenset(),
    where: str = "data",
    may_be_empty: bool = False,
) -> list[str]:
    """What differs between the example's shape and the answer's: missing keys, keys neither
    in the example nor in `allowed` (the documented field table and known live extras), JSON
    types (a string-encoded number must stay a string), and every row of a list against the
    example's first row. A null in the example matches any value."""
    if expected is None:
        return []
    exp_t, act_t = json_type(expected), json_type(actual)
    if exp_t != act_t and not (exp_t == "float" and act_t == "int"):
        return [f"{where}: documented {exp_t} ({expected!r}), served {act_t} ({actual!r})"]
    problems: list[str] = []
    if isinstance(expected, dict):
        for key in expected.keys() - actual.keys():
            problems.append(f"{where}.{key}: documented, not served")
        for key in actual.keys() - expected.keys() - allowed:
            problems.append(f"{where}.{key}: served, not documented")
        for key in expected.keys() & actual.keys():
            problems += shape_problems(
                expected[key], actual[key], allowed=allowed, where=f"{where}.{key}", may_be_empty=may_be_empty
            )
    elif isinstance(expected, list) and expected:
        if not actual and not may_be_empty:
            problems.append(f"{where}: documented rows, served []")
        for i, row in enumerate(actual):
            problems += shape_problems(
                expected[0], row, allowed=allowed, where=f"{where}[{i}]", may_be_empty=may_be_empty
            )
    return problems
