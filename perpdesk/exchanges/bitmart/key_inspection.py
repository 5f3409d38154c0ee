"""What an API key can do, in three concurrent calls (one round trip once the clock is known).

- GET  /contract/private/assets-detail (KEYED): the key exists, the source IP is allowed, the
  account is whitelisted for futures, and the futures balances.
- POST /contract/private/cancel-order (SIGNED, a client order id that cannot exist): the secret
  and memo (signature) and the Future-Trade permission; "no such order" is the success answer.
  It has no side effect.
- GET  /uapi-key/v1/account/info (KEYED): the account id, and the key's permissions and IP
  whitelist where the exchange reveals them.
BitMart signs over timestamp#memo#payload, so a wrong memo and a wrong secret give the same
refusal: the report says so (passphrase_distinguishable=False) rather than guess.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from perpdesk.core.errors import (
    AuthenticationFailed,
    ExchangeError,
    InvalidOrder,
    InvalidSignature,
    IpNotAllowed,
    NotWhitelistedForFutures,
    OrderNotFound,
    PermissionMissing,
)
from perpdesk.core.models import Balance, Credentials, KeyReport, Permission
from perpdesk.exchanges.bitmart import parse
from perpdesk.exchanges.bitmart.markets import MarketCache
from perpdesk.exchanges.bitmart.rest import Auth, BitmartRest

PROBE_SYMBOL = "BTCUSDT"
_PERMISSION_NAMES = {
    "read": Permission.READ, "read_only": Permission.READ, "readonly": Permission.READ,
    "spot_trade": Permission.SPOT_TRADE, "spot-trade": Permission.SPOT_TRADE, "spot": Permission.SPOT_TRADE,
    "future_trade": Permission.FUTURE_TRADE, "future-trade": Permission.FUTURE_TRADE,
    "futures_trade": Permission.FUTURE_TRADE, "contract_trade": Permission.FUTURE_TRADE,
    "withdraw": Permission.WITHDRAW, "withdrawal": Permission.WITHDRAW,
}
# The order in which problems block a key: the first one found is the report's `error`.
_BLOCKING_ORDER = (AuthenticationFailed, IpNotAllowed, InvalidSignature, NotWhitelistedForFutures,
                   PermissionMissing)


async def inspect_key(rest: BitmartRest, markets: MarketCache, creds: Credentials) -> KeyReport:
    symbol = _probe_symbol(markets)
    probe_cid = "pdprobe" + uuid.uuid4().hex[:20]
    gathered: tuple[Any, ...] = await asyncio.gather(
        rest.call("GET", "/contract/private/assets-detail", None, Auth.KEYED, creds),
        rest.call("POST", "/contract/private/cancel-order",
                       {"symbol": symbol, "client_order_id": probe_cid}, Auth.SIGNED, creds,
                       order_endpoint=True),
        rest.call("GET", "/uapi-key/v1/account/info", None, Auth.KEYED, creds),
        return_exceptions=True,
    )
    assets, probe, info = gathered
    for outcome in gathered:
        if isinstance(outcome, BaseException) and not isinstance(outcome, ExchangeError):
            raise outcome
    results = gathered
    errors = [r for r in results if isinstance(r, ExchangeError)]

    # Errors the exchange gives only after it has recognised the key / accepted the source IP.
    past_key = (IpNotAllowed, InvalidSignature, NotWhitelistedForFutures, PermissionMissing, OrderNotFound,
                InvalidOrder)
    past_ip = (NotWhitelistedForFutures, PermissionMissing, OrderNotFound, InvalidOrder)
    succeeded = [r for r in results if not isinstance(r, ExchangeError)]
    key_known: bool | None = None
    if any(isinstance(e, AuthenticationFailed) for e in errors):
        key_known = False
    elif succeeded or any(isinstance(e, past_key) for e in errors):
        key_known = True
    ip_allowed: bool | None = None
    if any(isinstance(e, IpNotAllowed) for e in errors):
        ip_allowed = False
    elif succeeded or any(isinstance(e, past_ip) for e in errors):
        ip_allowed = True

    # The probe's answer: "no such order" (or a success) means signed right and allowed to trade.
    signature_valid: bool | None
    future_trade: bool | None
    if isinstance(probe, InvalidSignature):
        signature_valid, future_trade = False, None
    elif isinstance(probe, PermissionMissing):
        signature_valid, future_trade = True, False
    elif isinstance(probe, NotWhitelistedForFutures):
        signature_valid, future_trade = True, None
    elif isinstance(probe, (AuthenticationFailed, IpNotAllowed)):
        signature_valid, future_trade = None, None
    elif isinstance(probe, ExchangeError) and not isinstance(probe, OrderNotFound):
        # any other business answer (e.g. a parameter complaint) still came after authentication
        signature_valid, future_trade = (True, True) if probe.http_status in (200, 400) else (None, None)
    else:
        signature_valid, future_trade = True, True

    futures_whitelisted: bool | None = None
    if any(isinstance(e, NotWhitelistedForFutures) for e in errors):
        futures_whitelisted = False
    elif not isinstance(assets, ExchangeError):
        futures_whitelisted = True

    balances: tuple[Balance, ...] = ()
    if not isinstance(assets, ExchangeError):
        balances = tuple(parse.balances(assets))

    permissions, ip_whitelist, account_id = _key_info(info)
    if permissions is None and key_known and signature_valid:
        # The exchange did not list them: report what the probes proved.
        known = {Permission.READ} if not isinstance(assets, ExchangeError) else set()
        if future_trade:
            known.add(Permission.FUTURE_TRADE)
        permissions = frozenset(known) if future_trade is not None else None
    elif permissions is not None and future_trade is False:
        permissions = permissions - {Permission.FUTURE_TRADE}

    error: ExchangeError | None = None
    for kind in _BLOCKING_ORDER:
        found = next((e for e in (probe, assets, info) if isinstance(e, kind)), None)
        if found is not None:
            error = found
            break
    if error is None and permissions is not None and Permission.FUTURE_TRADE not in permissions:
        error = PermissionMissing("The API key does not have the Future-Trade permission.")
    if error is None and key_known is None and errors:
        error = errors[0]  # e.g. the exchange was unavailable: nothing could be determined

    return KeyReport(
        key_known=key_known,
        signature_valid=signature_valid,
        ip_allowed=ip_allowed,
        futures_whitelisted=futures_whitelisted,
        permissions=permissions,
        ip_whitelist=ip_whitelist,
        balances=balances,
        account_id=account_id,
        passphrase_distinguishable=False,
        error=error,
    )


def _probe_symbol(markets: MarketCache) -> str:
    if markets.get(PROBE_SYMBOL) is not None:
        return PROBE_SYMBOL
    cached = markets.all()
    return cached[0].symbol if cached else PROBE_SYMBOL


def _key_info(info: Any) -> tuple[frozenset[Permission] | None, tuple[str, ...] | None, str | None]:
    """Read the key-info answer leniently: BitMart documents only that it describes the key."""
    if not isinstance(info, dict):
        return None, None, None
    account_id = next((str(info[k]) for k in ("account_id", "uid", "accountId", "user_id", "cid")
                       if info.get(k) not in (None, "")), None)
    permissions: frozenset[Permission] | None = None
    raw_perms = next((info[k] for k in ("permissions", "permission", "scopes") if k in info), None)
    if isinstance(raw_perms, str):
        raw_perms = [p for p in raw_perms.replace(";", ",").split(",") if p]
    if isinstance(raw_perms, dict):
        raw_perms = [k for k, v in raw_perms.items() if v]
    if isinstance(raw_perms, list):
        mapped = {_PERMISSION_NAMES.get(str(p).strip().lower().replace(" ", "_")) for p in raw_perms}
        mapped.discard(None)
        mapped.add(Permission.READ)
        permissions = frozenset(p for p in mapped if p is not None)
    ip_whitelist: tuple[str, ...] | None = None
    raw_ips = next((info[k] for k in ("ip_whitelist", "ipWhitelist", "ips", "ip", "ip_list") if k in info),
                   None)
    if isinstance(raw_ips, str):
        raw_ips = [ip for ip in raw_ips.replace(";", ",").split(",") if ip.strip()]
    if isinstance(raw_ips, list):
        ip_whitelist = tuple(str(ip).strip() for ip in raw_ips)
    return permissions, ip_whitelist, account_id
