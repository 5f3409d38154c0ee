"""Request parameters, checked the way BitMart checks them: a missing or malformed parameter gets
the endpoint family's parameter error, naming the parameter and saying what is expected."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from perpdesk.sandbox.api.error_codes import CLIENT_ID_FORMAT, CLIENT_ID_LENGTH, ApiError

# ASCII digits only, and few enough of them: int() of thousands of digits is refused by Python
# (and slow before that); no BitMart integer parameter needs more than 19.
_INT_RE = re.compile(r"^-?[0-9]{1,19}$")
_ORDER_ID_RE = re.compile(r"^[0-9]{1,20}$")
MAX_INT = 2**63 - 1
# Prices, sizes and amounts: at most this many characters, and below 1e18 in magnitude.
MAX_DECIMAL_CHARS = 40
MAX_DECIMAL = Decimal("1e18")
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9]{1,32}$")


class Params:
    """Parameters of one request (query string for GET, JSON body for POST)."""

    __slots__ = ("_spec", "values")

    def __init__(self, values: dict[str, Any], error_spec: tuple[int, str, int]) -> None:
        self.values = values
        self._spec = error_spec

    def error(self, detail: str, spec: tuple[int, str, int] | None = None) -> ApiError:
        code, message, status = spec or self._spec
        return ApiError(code, f"{message}: {detail}", status)

    def has(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def _given(self, name: str, required: bool) -> Any:
        """The parameter's value, None when it is absent or empty (refused when required)."""
        if not self.has(name):
            if required:
                raise self.error(f"parameter '{name}' is required")
            return None
        return self.values[name]

    def str_(
        self,
        name: str,
        *,
        required: bool = False,
        choices: tuple[str, ...] | None = None,
        invalid: tuple[int, str, int] | None = None,
    ) -> str | None:
        value = self._given(name, required)
        if value is None:
            return None
        if not isinstance(value, str):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise self.error(f"parameter '{name}' must be a string")
            value = str(value)
        if choices is not None and value not in choices:
            raise self.error(
                f"parameter '{name}' must be one of {', '.join(choices)} (got {value!r})", invalid
            )
        return value

    def req_str(
        self, name: str, choices: tuple[str, ...] | None = None, invalid: tuple[int, str, int] | None = None
    ) -> str:
        value = self.str_(name, required=True, choices=choices, invalid=invalid)
        assert value is not None
        return value

    def int_(
        self,
        name: str,
        *,
        required: bool = False,
        choices: tuple[int, ...] | None = None,
        min_value: int | None = None,
        max_value: int | None = None,
        invalid: tuple[int, str, int] | None = None,
    ) -> int | None:
        value = self._given(name, required)
        if value is None:
            return None
        if isinstance(value, bool):
            raise self.error(f"parameter '{name}' must be an integer")
        if isinstance(value, int):
            number = value
            if abs(number) > MAX_INT:
                raise self.error(f"parameter '{name}' is out of range (at most {MAX_INT})", invalid)
        elif isinstance(value, str) and _INT_RE.match(value.strip()):
            number = int(value.strip())
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        else:
            raise self.error(f"parameter '{name}' must be an integer (got {value!r})", invalid)
        if choices is not None and number not in choices:
            allowed = ", ".join(str(c) for c in choices)
            raise self.error(f"parameter '{name}' must be one of {allowed} (got {number})", invalid)
        if min_value is not None and number < min_value:
            raise self.error(f"parameter '{name}' must be at least {min_value} (got {number})")
        if max_value is not None and number > max_value:
            raise self.error(f"parameter '{name}' must be at most {max_value} (got {number})")
        return number

    def req_int(self, name: str, **kw: Any) -> int:
        value = self.int_(name, required=True, **kw)
        assert value is not None
        return value

    def dec(
        self, name: str, *, required: bool = False, positive: bool = True, allow_zero: bool = False
    ) -> Decimal | None:
        value = self._given(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"parameter '{name}' must be a decimal number as a string, e.g. \"65000.5\"")
        text = str(value).strip()
        if len(text) > MAX_DECIMAL_CHARS:
            raise self.error(f"parameter '{name}' has {len(text)} characters; at most {MAX_DECIMAL_CHARS}")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise self.error(f"parameter '{name}' must be a decimal number (got {value!r})") from None
        if not number.is_finite():
            raise self.error(f"parameter '{name}' must be a finite number (got {value!r})")
        if abs(number) >= MAX_DECIMAL:
            raise self.error(f"parameter '{name}' must be below {MAX_DECIMAL:f} (got {value!r})")
        if allow_zero and number == 0:
            return number
        if positive and number <= 0:
            raise self.error(f"parameter '{name}' must be greater than 0 (got {value!r})")
        return number

    def req_dec(self, name: str, **kw: Any) -> Decimal:
        value = self.dec(name, required=True, **kw)
        assert value is not None
        return value

    def client_order_id(self, name: str = "client_order_id") -> str | None:
        value = self.str_(name)
        if value is None:
            return None
        if len(value) > 32:
            raise self.error(f"parameter '{name}' has {len(value)} characters", CLIENT_ID_LENGTH)
        if not _CLIENT_ID_RE.match(value):
            raise self.error(f"parameter '{name}' is {value!r}", CLIENT_ID_FORMAT)
        return value

    def order_id(self, name: str = "order_id") -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not (
            (isinstance(value, int) and 0 <= value <= MAX_INT)
            or (isinstance(value, str) and _ORDER_ID_RE.match(value))
        ):
            raise self.error(f"parameter '{name}' must be a numeric order id (got {value!r})")
        return str(value)
