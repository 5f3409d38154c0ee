"""BitMart Futures V2 WebSocket protocol: channel names, topic parsing, frames and replies.

A topic is `<channel>:<filter>[@speed]`, e.g. `futures/depth20:BTCUSDT@200ms`, `futures/asset:USDT`,
`futures/order`. Every documented channel is listed in `PUBLIC_CHANNELS` / `PRIVATE_CHANNELS`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from perpdesk.sandbox.engine.klines import INTERVALS

DEPTH_LEVELS = (5, 20, 50)
SPEEDS = ("100ms", "200ms")
ASSET_CURRENCIES = ("USDT", "BTC", "ETH")
PRIVATE_CHANNELS = ("futures/asset", "futures/position", "futures/order")
PUBLIC_CHANNELS: tuple[str, ...] = (
    "futures/ticker",
    "futures/fundingRate",
    *(f"futures/depth{n}" for n in DEPTH_LEVELS),
    *(f"futures/depthAll{n}" for n in DEPTH_LEVELS),
    *(f"futures/depthIncrease{n}" for n in DEPTH_LEVELS),
    "futures/bookticker",
    "futures/trade",
    *(f"futures/klineBin{i}" for i in INTERVALS),
    *(f"futures/markPriceKlineBin{i}" for i in INTERVALS),
)
REQUESTABLE = ("fundingRate", "depthIncrease")  # the kinds the `request` action serves

PONG = {"group": "System", "data": "pong"}  # the answer to {"action":"ping"}
MAX_FRAME_CHARS = 65_536  # longer client frames are refused (the server caps frames at 1 MiB)
MAX_ARGS_BYTES = 4096  # documented: the topics of one message may total 4096 bytes at most
MAX_GROUPS = 200  # per connection, as BitMart; a client following more opens another connection


@dataclass(frozen=True, slots=True)
class Topic:
    group: str  # as the client wrote it, e.g. "futures/depth20:BTCUSDT@200ms"
    channel: str  # e.g. "futures/depth20"
    kind: str  # ticker fundingRate depth depthAll depthIncrease bookticker trade kline markKline
    #            asset position order
    symbol: str = ""  # or the currency of futures/asset
    levels: int = 0  # depth channels
    minutes: int = 0  # k-line channels

    @property
    def private(self) -> bool:
        return self.kind in ("asset", "position", "order")


def _kind(channel: str) -> tuple[str, int, int] | None:
    """(kind, levels, minutes) of a public channel name, or None if BitMart has no such channel."""
    if channel not in PUBLIC_CHANNELS:
        return None
    name = channel.removeprefix("futures/")
    for prefix in ("depthIncrease", "depthAll", "depth"):
        if name.startswith(prefix):
            return prefix, int(name[len(prefix):]), 0
    for prefix, kind in (("markPriceKlineBin", "markKline"), ("klineBin", "kline")):
        if name.startswith(prefix):
            return kind, 0, INTERVALS[name[len(prefix):]]
    return name, 0, 0


def parse_topic(group: str, symbols: Iterable[str]) -> Topic | str:
    """The topic named by `group`, or why the sandbox cannot serve it (BitMart's wording first)."""
    channel, _, rest = group.partition(":")
    missing = f"group [{group}] not exist"
    if channel in PRIVATE_CHANNELS:
        kind = channel.removeprefix("futures/")
        if kind == "asset":
            if rest not in ASSET_CURRENCIES:
                listed = ", ".join(f"futures/asset:{c}" for c in ASSET_CURRENCIES)
                return f"{missing}: name a currency, one of {listed}"
            return Topic(group, channel, kind, rest)
        if rest:
            return f"{missing}: {channel} takes no filter"
        return Topic(group, channel, kind)
    found = _kind(channel)
    if found is None:
        return f"{missing}: no channel {channel!r} (e.g. futures/ticker, futures/depth20, futures/klineBin1m)"
    kind, levels, minutes = found
    symbol, at, speed = rest.partition("@")
    if not symbol and kind == "ticker" and not at:
        return Topic(group, channel, kind)  # every symbol's ticker (BitMart's older form)
    if not symbol:
        return f"{missing}: name a symbol, e.g. {channel}:BTCUSDT"
    if symbol not in symbols:
        return f"{missing}: unknown symbol {symbol!r}; /contract/public/details lists the contracts"
    if at and (not levels or speed not in SPEEDS):
        return f"{missing}: only depth channels take a speed, @100ms or @200ms"
    return Topic(group, channel, kind, symbol, levels, minutes)


def encode(message: dict[str, Any]) -> str:
    return orjson.dumps(message, default=str).decode()


def decode(raw: str) -> dict[str, Any] | str:
    """The client's JSON object, or what is wrong with the frame."""
    if len(raw) > MAX_FRAME_CHARS:
        return f"message too large: {len(raw)} characters, at most {MAX_FRAME_CHARS}"
    try:
        msg = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return 'message is not valid JSON; send e.g. {"action":"subscribe","args":["futures/ticker:BTCUSDT"]}'
    if not isinstance(msg, dict):
        return 'message must be a JSON object like {"action":"subscribe","args":[...]}'
    return msg


def args_problem(action: str, args: Any) -> str | None:
    """Why `args` of a subscribe / unsubscribe / request is unusable, or None."""
    if not isinstance(args, list) or not args:
        return f"{action}: args must be a non-empty list of channel names"
    if not all(isinstance(a, str) for a in args):
        return f"{action}: every entry of args must be a string such as futures/ticker:BTCUSDT"
    size = sum(len(a.encode()) for a in args)
    if size > MAX_ARGS_BYTES:
        return (f"{action}: the channels total {size} bytes, at most {MAX_ARGS_BYTES}; "
                "split them over several messages")
    return None


def reply(action: str, group: str | None, request: Any, error: str | None = None) -> dict[str, Any]:
    """BitMart's acknowledgement: {"action","group","success","request"[,"error"]}."""
    out: dict[str, Any] = {"action": action}
    if group is not None:
        out["group"] = group
    out["success"] = error is None
    out["request"] = request
    if error is not None:
        out["error"] = error
    return out
