"""What a Binance handler is given, and what the endpoint table says about each endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from perpdesk.sandbox.binance.limits import BinanceLimits
from perpdesk.sandbox.binance.params import Params
from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.identity import ApiKey

# Binance's security types: NONE (public), USER_STREAM and MARKET_DATA (the key only), SIGNED
# (TRADE and USER_DATA)
NONE, USER_STREAM, MARKET_DATA, SIGNED = "NONE", "USER_STREAM", "MARKET_DATA", "SIGNED"


@dataclass(slots=True)
class Call:
    ctx: SandboxContext
    params: Params
    limits: BinanceLimits
    key: ApiKey | None = None
    listen_keys: Any = None  # listen_keys.ListenKeys of the port

    @property
    def uid(self) -> str:
        assert self.key is not None
        return self.key.uid


Handler = Callable[[Call], Any]


@dataclass(frozen=True, slots=True)
class Endpoint:
    method: str
    path: str
    security: str
    handler: Handler
    weight: int | Callable[[Params], int] = 1
    orders: int = 0  # new orders the call places (counted against the ORDERS limits); -1: from params
    mutating: bool = False  # flush persistence before answering
    futures: bool = True  # needs the key's "Enable Futures" (future_trade) permission
