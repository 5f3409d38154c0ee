"""MARGIN_CALL on the user data stream: pushed when an isolated position's margin ratio, or the
cross account's, reaches the engine's margin-call ratio (MARGIN_CALL_RATIO), once per crossing;
falling back below it re-arms the call. The payload is Binance's: `cw` (cross wallet balance,
cross calls only) and `p`, the positions at risk."""

from __future__ import annotations

from typing import Any

from perpdesk.sandbox.binance.views import money, price, qty, spec_of
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.margin import MARGIN_CALL_RATIO, maintenance, margin_ratio, upnl
from perpdesk.sandbox.engine.state import ZERO, Position

Json = dict[str, Any]
CROSS = "cross"


def _row(state: EngineState, p: Position, one_way: bool) -> Json:
    spec = spec_of(p.symbol)
    mark = state.markets[p.symbol].state.mark
    return {
        "s": p.symbol,
        "ps": "BOTH" if one_way else p.side.upper(),
        "pa": qty(spec, -p.size if p.side == "short" else p.size),
        "mt": "ISOLATED" if p.open_type == "isolated" else "CROSSED",
        "iw": money(p.margin if p.open_type == "isolated" else ZERO),
        "mp": price(spec, mark),
        "up": money(upnl(spec, p, mark)),
        "mm": money(maintenance(spec, p, mark)),
    }


class MarginCalls:
    """Which accounts' groups (the cross pool, or one isolated position) are in a margin call."""

    def __init__(self) -> None:
        self.active: set[tuple[str, str]] = set()

    def check(self, state: EngineState, uid: str, now: int) -> list[Json]:
        """The MARGIN_CALL events due for `uid` at the current marks (crossings only)."""
        acct = state.account(uid)
        one_way = acct.position_mode == "one_way_mode"
        held = [p for p in state.user_positions(uid).values() if p.size]
        groups: dict[str, list[Position]] = {}
        for p in held:
            groups.setdefault(CROSS if p.open_type == "cross" else f"{p.symbol}:{p.side}", []).append(p)
        isolated = sum((p.margin for p in held if p.open_type == "isolated"), ZERO)
        out: list[Json] = []
        for group, positions in sorted(groups.items()):
            marks = [(spec_of(p.symbol), p, state.markets[p.symbol].state.mark) for p in positions]
            maint = sum((maintenance(s, p, m) for s, p, m in marks), ZERO)
            pnl = sum((upnl(s, p, m) for s, p, m in marks), ZERO)
            backing = (acct.balance - isolated) if group == CROSS else positions[0].margin
            at_risk = margin_ratio(maint, backing + pnl) >= MARGIN_CALL_RATIO
            if not at_risk:
                self.active.discard((uid, group))
                continue
            if (uid, group) in self.active:
                continue
            self.active.add((uid, group))
            event: Json = {"e": "MARGIN_CALL", "E": now}
            if group == CROSS:
                event["cw"] = money(acct.balance - isolated)
            positions.sort(key=lambda p: (p.symbol, p.side))
            event["p"] = [_row(state, p, one_way) for p in positions]
            out.append(event)
        # a closed (or liquidated) position's call is over
        self.active -= {(u, g) for u, g in self.active if u == uid and g not in groups}
        return out
