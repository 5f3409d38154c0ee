"""Hostile values for the fuzz test: what a broken or malicious client might send for any field."""

from __future__ import annotations

from typing import Any

HUGE_DIGITS = "9" * 5000  # past Python's 4,300-digit int() limit

# JSON values (bodies of POST endpoints); the raw texts below go in as they are.
JSON_VALUES: list[Any] = [
    HUGE_DIGITS,
    "-" + HUGE_DIGITS,
    "1e309",
    "1e28",
    "-1e28",
    "1e-999999",
    "1e999999",
    "NaN",
    "Infinity",
    "-0",
    "0",
    "-1",
    "1.5",
    "١٢٣",  # Arabic-Indic digits
    "²",
    "12x",
    "",
    " ",
    "x" * 20_000,
    "\u0000",
    "💥",
    True,
    False,
    None,
    0,
    -1,
    2**63,
    2**64 + 1,
    1e308,
    1.5,
    [],
    [1, 2],
    {},
    {"a": 1},
]

# Bodies that are not a JSON object, and JSON texts a strict parser may refuse.
RAW_BODIES: list[bytes] = [
    b"not json",
    b"{",
    b"[]",
    b"[1,2]",
    b'"str"',
    b"1",
    b"null",
    b'{"a": ' + HUGE_DIGITS.encode() + b"}",
    b'{"size": 1e99999}',
    b"\xff\xfe\xfd",
    b'{"symbol": "BTCUSDT", "symbol": 1}',
]

# Query-string values (GET endpoints), sent URL-encoded.
QUERY_VALUES: list[str] = [v for v in JSON_VALUES if isinstance(v, str)] + ["true", "null", "[]", "%", "%zz"]

# Raw query strings that are not well formed.
RAW_QUERIES: list[str] = ["%", "%zz=1", "a=%ff%fe", "&&&", "=1", "symbol", "symbol=" + HUGE_DIGITS]
