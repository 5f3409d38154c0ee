"""Money, prices and sizes as traders read them on pages: thousands separators and the currency's
usual decimals (or the instrument's tick), with the exact value kept in `title` and `data-exact` so
hover and copy give it whole. Rounding is Decimal half-even (core/number_text.py, shared with the
notification texts); CSV and the API keep exact strings.

Templates: `{{ value|money }}`, `{{ value|money("BTC") }}`, `{{ price|price(tick) }}`,
`{{ size|qty(step) }}`, `{{ upnl|pnl }}` (money coloured by its sign). Each renders a
<span data-num=…> that static/numfmt.js re-formats the same way when live values replace it.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from perpdesk.core.money import fmt
from perpdesk.core.number_text import CURRENCY_DECIMALS, grouped, places_of
from perpdesk.core.number_text import to_decimal as _decimal

__all__ = ["FILTERS", "grouped", "money", "places_of", "pnl", "price", "qty"]


def _span(
    value: object, kind: str, places: int | None, attrs: Markup = Markup(""), cls: str = "num"
) -> Markup:
    number = _decimal(value)
    if number is None:
        return Markup('<span class="num">—</span>') if value in (None, "") else escape(str(value))
    exact = fmt(number)
    if places is None:
        places = places_of(number) or 0
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
