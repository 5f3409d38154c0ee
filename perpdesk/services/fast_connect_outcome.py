"""What a Fast Connect attempt ends as, and the words the waiting window and the callback page
show for it (stored on the grant as a message code)."""

from __future__ import annotations

from dataclasses import dataclass

from perpdesk.exchanges.base import ExchangeInfo
from perpdesk.services import errors_text as T
from perpdesk.services.account_views import AccountView
from perpdesk.services.errors_text import UserMessage


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # pending | connected | failed | denied | expired
    message: UserMessage | None = None
    account: AccountView | None = None
    warnings: tuple[UserMessage, ...] = ()

    def to_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "message": self.message.to_dict() if self.message else None,
            "account": self.account.to_dict() if self.account else None,
            "warnings": [w.to_dict() for w in self.warnings],
        }


SUCCESS = UserMessage(
    code="connected",
    title="API key connected successfully",
    message="The BitMart Futures account was connected as “Fast Connect Futures”.",
    next_step="You can rename it at any time with Edit.",
    severity="info",
)
SUCCESS_AWAITING = UserMessage(
    code="connected_awaiting_whitelist",
    title="API key connected successfully — awaiting whitelisting",
    message=T.NOT_WHITELISTED.message,
    next_step=T.NOT_WHITELISTED.next_step,
    severity="warning",
    steps=T.WHITELIST_STEPS,
)

_FIXED = {
    m.code: m
    for m in (
        T.NOT_WHITELISTED,
        T.EXCHANGE_UNAVAILABLE,
        T.RATE_LIMITED,
        T.CLOCK,
        T.DUPLICATE_KEY,
        T.DUPLICATE_ACCOUNT,
        T.FAST_CONNECT_DENIED,
        T.FAST_CONNECT_EXPIRED,
        T.FAST_CONNECT_BAD_STATE,
        T.FAST_CONNECT_REDEEM_FAILED,
        SUCCESS,
        SUCCESS_AWAITING,
    )
}


def message_for(code: str | None, egress_ips: tuple[str, ...], ex: ExchangeInfo) -> UserMessage | None:
    """The message of a stored outcome code, worded for the grant's exchange."""
    if code is None:
        return None
    worded = (
        T.wrong_key(ex), T.wrong_secret(ex), T.wrong_passphrase(ex), T.no_future_trade(ex),
        T.ip_not_allowed(egress_ips, ex),
    )
    found = next((m for m in worded if m.code == code), None)
    return found or _FIXED.get(code, T.FAST_CONNECT_REDEEM_FAILED)


def warning_for(code: str, ex: ExchangeInfo) -> UserMessage | None:
    for w in (T.spot_trade_enabled(ex), T.withdraw_enabled(ex), T.ip_unrestricted(ex), T.IP_LIST_UNKNOWN):
        if w.code == code:
            return w
    return None
