"""The instruments' price ticks and size steps, for showing prices and sizes as traders read
them. From the connector's market cache (BitMart: read once per few minutes); a page whose
exchange does not answer shows every digit instead."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from perpdesk.core.errors import PerpdeskError
from perpdesk.core.models import Instrument
from perpdesk.core.money import fmt
from perpdesk.exchanges.registry import Venue
from perpdesk.services.deps import AccountsDeps

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ticks:
    price: dict[str, Decimal] = field(default_factory=dict)  # symbol -> price tick
    size: dict[str, Decimal] = field(default_factory=dict)  # symbol -> size step (contracts)

    def as_json(self) -> dict[str, str]:
        """Symbol -> price tick as exact strings (live.js formats rows it adds with them)."""
        return {sym: fmt(tick) for sym, tick in self.price.items()}


def ticks_from(instruments: Iterable[Instrument], into: Ticks | None = None) -> Ticks:
    out = into if into is not None else Ticks()
    for i in instruments:
        out.price.setdefault(i.symbol, i.price_tick)
        out.size.setdefault(i.symbol, i.size_step)
    return out


async def ticks_of(deps: AccountsDeps, venues: Iterable[Venue | None]) -> Ticks:
    """The ticks of every contract at these venues (an account not yet given its venue has none)."""
    out = Ticks()
    for venue in sorted({v for v in venues if v is not None}, key=lambda v: (v.exchange, v.api_url)):
        try:
            ticks_from(await deps.connector_for(venue).instruments(), out)
        except (PerpdeskError, OSError, TimeoutError) as exc:
            log.info("instruments of %s not read: %s", venue.exchange, type(exc).__name__)
    return out
