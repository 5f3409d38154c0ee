"""The message for a code stored on an account (its last error, its warnings) or on a Fast Connect
grant, worded for the account's exchange: what notifications and the waiting window show later."""

from __future__ import annotations

from perpdesk.exchanges.base import ExchangeInfo
from perpdesk.services import errors_text as T
from perpdesk.services.errors_text import UserMessage

# the messages that name no exchange's words
_FIXED = {m.code: m for m in vars(T).values() if isinstance(m, UserMessage)}


def by_code(code: str, ex: ExchangeInfo, egress_ips: tuple[str, ...] = ()) -> UserMessage | None:
    worded = (
        T.wrong_key(ex), T.wrong_secret(ex), T.wrong_passphrase(ex), T.no_future_trade(ex),
        T.ip_not_allowed(egress_ips, ex), T.ip_restriction_missing(egress_ips, ex),
        T.exchange_unavailable(ex), T.clock(ex), T.withdraw_refused(ex), T.spot_trade_enabled(ex),
        T.withdraw_enabled(ex), T.ip_unrestricted(ex), T.ip_list_missing((), ex),
    )
    return next((m for m in worded if m.code == code), None) or _FIXED.get(code)
