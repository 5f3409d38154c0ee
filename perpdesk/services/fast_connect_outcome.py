"""What a Fast Connect attempt ends as, and the words the waiting window and the callback page
show for it (stored on the grant as a message code)."""

from __future__ import annotations

from dataclasses import dataclass

from perpdesk.exchanges.base import ExchangeInfo
from perpdesk.services import errors_text as T
from perpdesk.services.account_views import AccountView
from perpdesk.services.errors_text import UserMessage
from perpdesk.services.stored_messages import by_code


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

_OWN = {m.code: m for m in (SUCCESS, SUCCESS_AWAITING)}


def message_for(code: str | None, egress_ips: tuple[str, ...], ex: ExchangeInfo) -> UserMessage | None:
    """The message of a stored outcome code, worded for the grant's exchange."""
    if code is None:
        return None
    return _OWN.get(code) or by_code(code, ex, egress_ips) or T.FAST_CONNECT_REDEEM_FAILED


_WARNINGS = ("spot_trade_enabled", "withdraw_enabled", "ip_unrestricted", "ip_whitelist_unknown")


def warning_for(code: str, ex: ExchangeInfo) -> UserMessage | None:
    return by_code(code, ex) if code in _WARNINGS else None
