"""The private path `/user`: login (`access`), and the order / position / asset channels.

The login signs `{timestamp}#{memo}#bitmart.WebSocket` with the key's secret (HMAC-SHA256, hex),
like BitMart; a failed login is answered and the connection is then closed, as documented.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from typing import TYPE_CHECKING, Any

from perpdesk.sandbox.engine.user_pushes import plan_fields, position_items
from perpdesk.sandbox.web.ws_connection import Connection, Registry

if TYPE_CHECKING:
    from perpdesk.sandbox.context import SandboxContext

POSITION_EVERY_MS = 10_000  # documented: the position channel also pushes every 10 s
LOGIN_HELP = 'args must be [api_key, timestamp, sign, "web"] (strings; timestamp in ms)'


def _ip_in(peer: str, allowed: list[str]) -> bool:
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) in allowed


class PrivateChannels:
    def __init__(self, ctx: SandboxContext, registry: Registry) -> None:
        self.ctx = ctx
        self.registry = registry
        self._position_due: dict[Connection, int] = {}

    # ---- login ---------------------------------------------------------------------------------
    def login_problem(self, conn: Connection, args: Any) -> str | None:
        """Why a login fails ("access failed: ..."), or None after logging conn in."""
        if not isinstance(args, list) or len(args) < 3 or not all(isinstance(a, str) for a in args[:3]):
            return f"access failed: {LOGIN_HELP}"
        api_key, timestamp, sign = args[0], args[1], args[2]
        key = self.ctx.identity.key_by_api_key(api_key, "bitmart")
        if key is None:
            return f"access failed: openapi auth: apiKey {api_key[:10]}**** failed: api key not found"
        window = self.ctx.config.timestamp_window_ms
        if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 16) or abs(
            int(time.time() * 1000) - int(timestamp)
        ) > window:
            return f"access failed: timestamp out of range, must be ms within {window}ms of server time"
        expected = hmac.new(
            key.secret_key.encode(), f"{timestamp}#{key.memo}#bitmart.WebSocket".encode(), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, sign.lower()):
            return (f"access failed: openapi auth: apiKey {api_key[:10]}**** failed: sign is wrong "
                    "(HMAC-SHA256 of timestamp#memo#bitmart.WebSocket with the secret key, hex)")
        if key.ip_whitelist and not _ip_in(conn.peer, key.ip_whitelist):
            return f"access failed: IP {conn.peer} is forbidden for this api key"
        if not self.ctx.identity.is_futures_whitelisted(key.uid):
            return "access failed: account is not whitelisted for futures API trading (API Whitelist Request)"
        self.registry.login(conn, key.uid)
        return None

    def auth_problem(self, conn: Connection, group: str) -> str | None:
        if not conn.private:
            return f"{group} need authenication: private channels are served on /user?protocol=1.1"
        if conn.uid is None:
            return f"{group} need authenication: send access first"
        return None

    # ---- pushes --------------------------------------------------------------------------------
    def on_event(self, uid: str, channel: str, data: Any) -> None:
        if channel == "futures/order" and isinstance(data, list):
            data = [self._with_plan(item) for item in data]
        self.registry.publish_user(uid, channel, data)

    def _with_plan(self, item: Any) -> Any:
        order = item.get("order") if isinstance(item, dict) else None
        if not isinstance(order, dict) or not order.get("plan_order_id"):
            return item
        plan = self.ctx.engine.state.plans.get(str(order["plan_order_id"]))
        return {**item, "order": {**order, **plan_fields(plan)}}

    def on_subscribe(self, conn: Connection, kind: str) -> None:
        if kind == "position":
            self._position_due.setdefault(conn, self.ctx.engine.now() + POSITION_EVERY_MS)

    def forget(self, conn: Connection) -> None:
        self._position_due.pop(conn, None)

    def on_clock(self, now: int) -> None:
        """Called about once a second: the timed position pushes that are due."""
        for conn, due in list(self._position_due.items()):
            if "futures/position" not in conn.groups or conn.uid is None:
                del self._position_due[conn]
                continue
            if now < due:
                continue
            self._position_due[conn] = now + POSITION_EVERY_MS
            items = position_items(self.ctx.engine, conn.uid)
            if items:
                conn.send({"group": "futures/position", "data": items})
