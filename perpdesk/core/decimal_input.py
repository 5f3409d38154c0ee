"""The one parser of numbers typed or sent by users: prices, sizes, leverage.

Only ASCII decimal notation is a number here: `Decimal()` alone also reads full-width and Arabic-
Indic digits, `1_000`, `NaN`, `Infinity` and exponents big enough to overflow every later
computation. Errors name the field and never repeat the value (it may be a pasted secret).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from perpdesk.core.errors import InputError

MAX_CHARS = 64
MAX_DIGITS = 32  # significant digits: more than any price or size needs, far from overflow
MAX_MAGNITUDE = 24  # |adjusted exponent|: 1e-24 .. 9.99e24

_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class NumberError(InputError):
    """A number input that is not a plain, bounded decimal."""

    code = "invalid_number"

    def __init__(self, field: str, label: str, problem: str, fix: str) -> None:
        super().__init__(field, f"{label} {problem}", fix)
        self.problem = problem


def parse_number(
    raw: object, field: str, label: str | None = None, *, positive: bool = False,
    above: Decimal | None = None, below: Decimal | None = None, places: int | None = None,
) -> Decimal:
    """`raw` (str, int or Decimal; never float or bool) as a finite, bounded Decimal; a field with
    its own range gives it (`above` < value < `below`, at most `places` decimals)."""
    label = label or field.replace("_", " ")
    example = f"Enter the {label} as a plain number like 1.5 (digits 0-9, one dot)."
    if isinstance(raw, bool) or isinstance(raw, float):
        raise NumberError(field, label, "must be sent as an exact decimal string", example)
    if isinstance(raw, int):
        raw = str(raw)
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip(" \t\r\n")
        if len(text) > MAX_CHARS or not _NUMBER.fullmatch(text):
            raise NumberError(field, label, "is not a number", example)
        try:
            value = Decimal(text)
        except InvalidOperation:  # an exponent beyond what Decimal can hold at all
            raise NumberError(field, label, "is out of range", example) from None
    else:
        raise NumberError(field, label, "is not a number", example)
    if not value.is_finite():
        raise NumberError(field, label, "is not a finite number", example)
    if value and (
        abs(value.adjusted()) > MAX_MAGNITUDE or len(value.normalize().as_tuple().digits) > MAX_DIGITS
    ):
        raise NumberError(
            field,
            label,
            "is out of range",
            f"Enter the {label} with at most {MAX_DIGITS} significant digits, between "
            f"1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE}.",
        )
    if positive and value <= 0:
        raise NumberError(field, label, "must be greater than zero", f"Enter a positive {label}.")
    _in_range(value, field, label, above, below, places)
    return value


def _in_range(value: Decimal, field: str, label: str, above: Decimal | None, below: Decimal | None,
              places: int | None) -> None:
    if (above is not None and value <= above) or (below is not None and value >= below):
        limits = (f"more than {above}" if above is not None else "",
                  f"less than {below}" if below is not None else "")
        span = " and ".join(part for part in limits if part)
        raise NumberError(field, label, f"must be {span}", f"Enter the {label}, {span}.")
    if places is not None and value.as_tuple().exponent < -places:  # type: ignore[operator]
        raise NumberError(field, label, f"has more than {places} decimal places",
                          f"Enter the {label} with at most {places} decimal places.")


def _checked(value: str) -> str:
    try:
        parse_number(value, "value")
    except NumberError as exc:
        raise ValueError(
            f'{exc.problem}; send a plain decimal string like "1.5" (ASCII digits, at most '
            f"{MAX_DIGITS} significant, between 1e-{MAX_MAGNITUDE} and 1e{MAX_MAGNITUDE})"
        ) from None
    return value.strip(" \t\r\n")


# A decimal string in a JSON answer: documented as such in the OpenAPI (written by money.fmt).
DecimalOut = Annotated[str, Field(json_schema_extra={"format": "decimal", "pattern": f"^{_NUMBER.pattern}$"},
                                  examples=["95000.5"])]

# A JSON API field holding a decimal string: checked by parse_number at the edge, passed on as text.
DecimalText = Annotated[
    str,
    AfterValidator(_checked),
    Field(json_schema_extra={"pattern": f"^{_NUMBER.pattern}$", "maxLength": MAX_CHARS}, examples=["1.5"]),
]


_WHOLE = re.compile(r"[+-]?[0-9]{1,12}")


def _whole(value: object) -> object:
    if isinstance(value, str) and not _WHOLE.fullmatch(value.strip(" ")):
        raise ValueError("is not a whole number; send ASCII digits like 20")
    return value


# A whole number in a query: ASCII digits only (pydantic alone also reads "1_0" and "5.0").
WholeNumber = Annotated[int, BeforeValidator(_whole)]
