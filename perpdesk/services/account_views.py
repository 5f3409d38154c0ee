"""What the pages, the API and the CLI show of connected accounts, and the + Connect Account
chooser. Masks, labels and codes only: never a secret."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from perpdesk.core.models import AccountStatus, ConnectMethod
from perpdesk.exchanges.base import ExchangeInfo
from perpdesk.exchanges.registry import Venue, all_info, entry
from perpdesk.store.records import AccountRecord

METHOD_NAMES = {ConnectMethod.MANUAL.value: "Manual", ConnectMethod.FAST_CONNECT.value: "Fast Connect"}
STATUS_NAMES = {
    AccountStatus.ACTIVE.value: "Active",
    AccountStatus.AWAITING_WHITELIST.value: "Awaiting whitelisting",
    AccountStatus.ERROR.value: "Needs attention",
}

@dataclass(frozen=True, slots=True)
class AccountView:
    id: str
    label: str
    exchange: str
    market: str
    method: str
    status: str
    api_key_mask: str
    permissions: tuple[str, ...]
    ip_whitelist: tuple[str, ...] | None
    warnings: tuple[str, ...]
    balances: tuple[dict[str, str], ...]
    last_check_at: datetime | None
    last_error: str | None
    created_at: datetime
    withdraw_allowed: bool = False
    venue: Venue | None = None  # where the key was connected (None: not recorded yet)

    @property
    def method_name(self) -> str:
        return METHOD_NAMES.get(self.method, self.method)

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.status, self.status)

    @property
    def exchange_name(self) -> str:
        return entry(self.exchange).info.name

    @property
    def market_name(self) -> str:
        return self.market.capitalize()

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "label": self.label,
            "exchange": self.exchange,
            "exchange_name": self.exchange_name,
            "market": self.market_name,
            "method": self.method,
            "status": self.status,
            "api_key": self.api_key_mask,
            "permissions": list(self.permissions),
            "ip_whitelist": list(self.ip_whitelist) if self.ip_whitelist is not None else None,
            "warnings": list(self.warnings),
            "balances": list(self.balances),
            "last_check_at": self.last_check_at.isoformat() if self.last_check_at else None,
            "last_error": self.last_error,
            "created_at": self.created_at.isoformat(),
            "withdraw_allowed": self.withdraw_allowed,
            "api_url": self.venue.api_url if self.venue else None,
        }


def view(row: AccountRecord) -> AccountView:
    return AccountView(
        id=row.id,
        label=row.label,
        exchange=row.exchange,
        market=row.market,
        method=row.method,
        status=row.status,
        api_key_mask=row.api_key_mask,
        permissions=tuple(row.permissions or ()),
        ip_whitelist=tuple(row.ip_whitelist) if row.ip_whitelist is not None else None,
        warnings=tuple(row.warnings or ()),
        balances=tuple(row.balances or ()),
        last_check_at=row.last_check_at,
        last_error=row.last_error,
        created_at=row.created_at,
        withdraw_allowed=bool(row.withdraw_allowed),
        venue=Venue(row.exchange, row.api_url, row.ws_url) if row.api_url else None,
    )


@dataclass(frozen=True, slots=True)
class ExchangeChoice:
    """One entry of the + Connect Account chooser."""

    id: str
    name: str
    market: str  # "futures" | "spot"
    supported: bool
    fast_connect: bool  # the exchange offers it and the platform is registered with it
    passphrase_hint: str
    info: ExchangeInfo  # its credential fields, the words of its API Management page
    note: str = ""


def choices(fast_connect_for: Callable[[str], object | None] | None = None) -> list[ExchangeChoice]:
    """The chooser: supported futures exchanges, then unsupported markets with the reason.
    `fast_connect_for` (AccountsDeps') tells whether Fast Connect is configured for an exchange."""
    out: list[ExchangeChoice] = []
    for info in all_info():
        if "futures" in info.markets:
            configured = fast_connect_for is not None and fast_connect_for(info.id) is not None
            fast = info.supports_fast_connect and configured
            out.append(ExchangeChoice(info.id, info.name, "futures", True, fast, info.passphrase_hint, info))
        if "spot" not in info.markets:
            note = info.unsupported_note or f"{info.name} Spot trading is not supported."
            name = f"{info.name} Spot"
            spot = ExchangeChoice(info.id + "_spot", name, "spot", False, False, "", info, note)
            out.append(spot)
    return out
