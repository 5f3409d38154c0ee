"""What a Binance API key can do, in three concurrent signed calls (one round trip once Binance's
clock is measured), and the first thing to fix with its one exact reason:

- GET /fapi/v2/balance (USER_DATA): the key exists, the source IP is allowed, the secret signs
  right, the clocks agree; the futures balances and the account alias.
- DELETE /fapi/v1/order for a client order id that cannot exist (TRADE): "Unknown order" proves
  Enable Futures; -2015 naming the permission proves it off. It changes nothing.
- GET /sapi/v1/account/apiRestrictions: Enable Futures, Enable Withdrawals, Enable Spot & Margin
  Trading and whether the key is restricted to trusted IPs (Binance never reveals the list).

Binance has no passphrase: a refused signature (-1022) means the Secret Key is wrong.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any, Protocol

from perpdesk.core.errors import (
    AuthenticationFailed,
    ExchangeError,
    InvalidSignature,
    IpNotAllowed,
    OrderNotFound,
    PermissionMissing,
    TimestampOutOfWindow,
)
from perpdesk.core.models import Balance, Credentials, KeyReport, Permission
from perpdesk.exchanges.binance import parse
from perpdesk.exchanges.binance.codes import FUTURES_STEP, IP_STEP, UnknownKey

if TYPE_CHECKING:
    from perpdesk.exchanges.binance.rest import BinanceRest


class KeyClients(Protocol):
    """What the audit needs of its connector: the futures REST client and the key-settings one."""

    @property
    def rest(self) -> BinanceRest: ...
    @property
    def sapi(self) -> BinanceRest: ...


PROBE_SYMBOL = "BTCUSDT"
# the order in which problems block a key: the first one found is the report's `error`
_BLOCKING = (AuthenticationFailed, IpNotAllowed, InvalidSignature, TimestampOutOfWindow, PermissionMissing)


class IpRestrictionMissing(IpNotAllowed):
    """The key accepts requests from any address: whoever obtains it can trade from anywhere."""

    code = "ip_restriction_missing"


def _restrictions_error() -> IpRestrictionMissing:
    err = IpRestrictionMissing(
        'The key is not restricted to trusted IPs (Binance: "Unrestricted (Less Secure)").', next_step=IP_STEP
    )
    err.headline = "The key is not restricted to the platform's IP addresses."
    return err


def _futures_off() -> PermissionMissing:
    err = PermissionMissing("Enable Futures is off on this API key.", next_step=FUTURES_STEP)
    err.headline = "Enable Futures is off on this API key."
    return err


async def inspect_key(conn: KeyClients, creds: Credentials) -> KeyReport:
    probe = {"symbol": PROBE_SYMBOL, "origClientOrderId": "pdprobe" + uuid.uuid4().hex[:20]}
    gathered: tuple[Any, ...] = await asyncio.gather(
        conn.rest.call("GET", "/fapi/v2/balance", None, creds),
        conn.rest.call("DELETE", "/fapi/v1/order", probe, creds, order_endpoint=True),
        conn.sapi.call("GET", "/sapi/v1/account/apiRestrictions", None, creds),
        return_exceptions=True,
    )
    for outcome in gathered:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ExchangeError):
            raise outcome
    balance, trade, limits = gathered
    errors = [e for e in gathered if isinstance(e, ExchangeError)]
    read_ok = not isinstance(balance, ExchangeError)

    key_known: bool | None = True if read_ok else None
    ip_allowed: bool | None = True if read_ok else None
    signature_valid: bool | None = True if read_ok else None
    if any(isinstance(e, UnknownKey) for e in errors):
        key_known = False
    if any(type(e) is IpNotAllowed for e in errors):
        key_known, ip_allowed = True, False
    if any(isinstance(e, InvalidSignature) for e in errors):
        key_known, ip_allowed, signature_valid = True, True, False

    futures: bool | None = None
    if isinstance(trade, OrderNotFound) or not isinstance(trade, ExchangeError):
        futures = True
    elif isinstance(trade, PermissionMissing):
        futures = False
    restrictions = limits if isinstance(limits, dict) else None
    if restrictions is not None and "enableFutures" in restrictions:
        futures = bool(restrictions["enableFutures"])

    permissions: frozenset[Permission] | None = None
    if signature_valid and futures is not None:
        granted = {Permission.READ}
        if futures:
            granted.add(Permission.FUTURE_TRADE)
        if restrictions is not None and restrictions.get("enableWithdrawals"):
            granted.add(Permission.WITHDRAW)
        if restrictions is not None and restrictions.get("enableSpotAndMarginTrading"):
            granted.add(Permission.SPOT_TRADE)
        permissions = frozenset(granted)

    error: ExchangeError | None = None
    for kind in _BLOCKING:
        error = next(
            (e for e in (balance, trade, limits) if isinstance(e, kind) and not isinstance(e, OrderNotFound)),
            None,
        )
        if error is not None:
            break
    if error is None and futures is False:
        error = _futures_off()
    if error is None and restrictions is not None and restrictions.get("ipRestrict") is False:
        error = _restrictions_error()
    if error is None and key_known is None and errors:
        error = errors[0]  # e.g. Binance was unavailable: nothing could be determined

    balances: tuple[Balance, ...] = tuple(parse.balances(balance)) if read_ok else ()
    alias = (
        next((str(r["accountAlias"]) for r in balance if isinstance(r, dict) and r.get("accountAlias")), None)
        if read_ok and isinstance(balance, list)
        else None
    )
    return KeyReport(
        key_known=key_known,
        signature_valid=signature_valid,
        ip_allowed=ip_allowed,
        futures_whitelisted=True if read_ok else None,  # Binance has no per-account futures whitelist
        permissions=permissions,
        # Binance tells whether the key is IP-restricted, never the list: () = unrestricted
        ip_whitelist=None if restrictions is None or restrictions.get("ipRestrict") else (),
        balances=balances,
        account_id=alias,
        passphrase_distinguishable=True,  # there is no passphrase to confuse with the secret
        error=error,
    )
