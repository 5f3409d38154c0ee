"""Money, prices and sizes as traders read them on pages: thousands separators and the currency's
usual decimals (or the instrument's tick), with the exact value kept in `title` and `data-exact` so
hover and copy give it whole. Rounding is Decimal half-even; CSV and the API keep exact strings.

Templates: `{{ value|money }}`, `{{ value|money("BTC") }}`, `{{ price|price(tick) }}`,
`{{ size|qty(step) }}`, `{{ upnl|pnl }}` (money coloured by its sign). Each renders a
<span data-num=…> that static/numfmt.js re-formats the same way when live values replace it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from markupsafe import Markup, escape

from perpdesk.core.money import fmt

CURRENCY_DECIMALS = {"USDT": 2, "USDC": 2, "USD": 2, "BTC": 8, "ETH": 6}


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def places_of(step: object) -> int | None:
    """Decimals of a tick or step ("0.10" → 1); None when it is not a number."""
    number = _decimal(step)
    if number is None:
        return None
    return max(0, -number.normalize().as_tuple().exponent)  # type: ignore[operator]


def grouped(value: Decimal, places: int) -> str:
    """`value` rounded half-even to `places` decimals, with thousands separators."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    if rounded.is_zero():
        rounded = abs(rounded)
    return f"{rounded:,.{places}f}"


def _span(
    value: object, kind: str, places: int | None, attrs: Markup = Markup(""), cls: str = "num"
) -> Markup:
    number = _decimal(value)
    if number is None:
        return Markup('<span class="num">—</span>') if value in (None, "") else escape(str(value))
    exact = fmt(number)
    if places is None:
        places = max(0, -number.normalize().as_tuple().exponent)  # type: ignore[operator]
    shown = grouped(number, places)
    return Markup('<span class="{}" data-num="{}"{} data-exact="{}" title="{}">{}</span>').format(
        cls, kind, attrs, exact, exact, shown
    )


def money(value: object, currency: str = "USDT") -> Markup:
    places = CURRENCY_DECIMALS.get(currency, 2)
    return _span(value, "money", places, Markup(' data-currency="{}"').format(currency))


def pnl(value: object, currency: str = "USDT") -> Markup:
    """Money coloured by its sign (profit or loss); the live pages re-colour it as it moves."""
    number = _decimal(value)
    sign = "" if number is None or number.is_zero() else " pos" if number > 0 else " neg"
    places = CURRENCY_DECIMALS.get(currency, 2)
    return _span(value, "money", places, Markup(' data-currency="{}"').format(currency), "num" + sign)


def _tick_attr(step: object) -> Markup:
    number = _decimal(step)
    return Markup(' data-tick="{}"').format(fmt(number)) if number is not None else Markup("")


def price(value: object, tick: object = None) -> Markup:
    return _span(value, "price", places_of(tick), _tick_attr(tick))


def qty(value: object, step: object = None) -> Markup:
    return _span(value, "size", places_of(step), _tick_attr(step))


FILTERS = {"money": money, "pnl": pnl, "price": price, "qty": qty}
