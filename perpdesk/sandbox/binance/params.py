"""Request parameters as Binance reads them: the query string and the url-encoded body together,
every value a string. A missing or malformed value gets -1102 naming the parameter (never
echoing the value), a value outside an enum its own code (-1115 timeInForce, -1116 type, -1117
side, -1120 interval, -1121 symbol), any other bad value -1130."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from perpdesk.sandbox.binance import errors as E
from perpdesk.sandbox.engine.contracts import CONTRACTS

_INT_RE = re.compile(r"^-?[0-9]{1,19}$")
# Binance's decimals: plain notation, at most 40 characters (no exponent, no sign for sizes/prices)
_DEC_RE = re.compile(r"^-?[0-9]{1,20}(\.[0-9]{1,20})?$")
_CLIENT_ID_RE = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")
_TRUE_FALSE = {"true": True, "false": False, "TRUE": True, "FALSE": False}


class Params:
    __slots__ = ("values",)

    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def has(self, name: str) -> bool:
        return self.values.get(name, "") != ""

    def str_(
        self,
        name: str,
        *,
        required: bool = False,
        choices: tuple[str, ...] | None = None,
        invalid: E.Spec = E.INVALID_PARAMETER,
    ) -> str | None:
        value = self.values.get(name, "")
        if value == "":
            if required:
                raise E.err(E.MANDATORY_PARAM, f"send '{name}'", name)
            return None
        if choices is not None and value not in choices:
            names = (name,) if "{}" in invalid[1] else ()
            raise E.err(invalid, f"'{name}' must be one of {', '.join(choices)}", *names)
        return value

    def req(
        self, name: str, choices: tuple[str, ...] | None = None, invalid: E.Spec = E.INVALID_PARAMETER
    ) -> str:
        value = self.str_(name, required=True, choices=choices, invalid=invalid)
        assert value is not None
        return value

    def int_(
        self, name: str, *, required: bool = False, lo: int | None = None, hi: int | None = None
    ) -> int | None:
        value = self.str_(name, required=required)
        if value is None:
            return None
        if not _INT_RE.match(value):
            raise E.err(E.MANDATORY_PARAM, f"'{name}' must be an integer", name)
        number = int(value)
        if (lo is not None and number < lo) or (hi is not None and number > hi):
            bounds = f"from {lo}" if lo is not None else ""
            bounds += f" up to {hi}" if hi is not None else ""
            raise E.err(E.INVALID_PARAMETER, f"'{name}' must be {bounds.strip()}", name)
        return number

    def dec(self, name: str, *, required: bool = False) -> Decimal | None:
        """A positive decimal in plain notation (Binance refuses exponents)."""
        value = self.str_(name, required=required)
        if value is None:
            return None
        if not _DEC_RE.match(value):
            raise E.err(E.MANDATORY_PARAM, f"'{name}' must be a decimal number such as \"0.001\"", name)
        try:
            number = Decimal(value)
        except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
            raise E.err(E.MANDATORY_PARAM, f"'{name}' must be a decimal number", name) from None
        if number <= 0:
            spec = E.PRICE_LESS_THAN_ZERO if "rice" in name else E.QTY_LESS_THAN_ZERO
            raise E.err(spec, f"'{name}' must be greater than 0")
        return number

    def bool_(self, name: str) -> bool | None:
        value = self.str_(name)
        if value is None:
            return None
        if value not in _TRUE_FALSE:
            raise E.err(E.INVALID_PARAMETER, f"'{name}' must be true or false", name)
        return _TRUE_FALSE[value]

    def symbol(self, *, required: bool = True) -> str | None:
        value = self.str_("symbol", required=required)
        if value is not None and value not in CONTRACTS:
            raise E.err(E.BAD_SYMBOL, f"listed symbols: {', '.join(CONTRACTS)}")
        return value

    def req_symbol(self) -> str:
        value = self.symbol()
        assert value is not None
        return value

    def client_id(self, name: str) -> str | None:
        value = self.str_(name)
        if value is not None and not _CLIENT_ID_RE.match(value):
            raise E.err(E.INVALID_CLIENT_ORDER_ID, f"'{name}': 1 to 36 of A-Z a-z 0-9 . : / _ -")
        return value

    def limit(self, default: int, hi: int, allowed: tuple[int, ...] | None = None) -> int:
        n = self.int_("limit", lo=1, hi=hi)
        if n is None:
            return default
        if allowed is not None and n not in allowed:
            raise E.err(
                E.INVALID_PARAMETER, f"'limit' must be one of {', '.join(map(str, allowed))}", "limit"
            )
        return n
