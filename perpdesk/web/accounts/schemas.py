"""The accounts API's answers, for the OpenAPI: masks and ids only, never a secret."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from perpdesk.web.answer import Answer


class AccountOut(Answer):
    id: str
    label: str
    exchange: str
    exchange_name: str = Field(description="Bitmart | Binance")
    market: str = Field(description="Futures")
    method: str = Field(description="manual | fast_connect")
    status: str = Field(description="active | awaiting_whitelist | invalid | ...")
    api_key: str = Field(description="The key, masked.")
    permissions: list[str]
    ip_whitelist: list[str] | None
    warnings: list[str]
    balances: list[dict[str, str]] = Field(description="At the last check; exact decimal strings.")
    last_check_at: str | None
    last_error: str | None
    created_at: str
    withdraw_allowed: bool
    api_url: str | None = Field(description="The exchange's API the key was connected at.")


class MessageOut(Answer):
    """A message for the user: headline, explanation, what to do; `steps` only when there are."""

    code: str
    title: str
    message: str
    next_step: str
    severity: str = Field(description="error | warning | info")
    field: str | None
    steps: list[str] | None = None


class BalanceSeenOut(Answer):
    currency: str
    equity: str
    available: str
    unrealized_pnl: str


class InspectionOut(Answer):
    verdict: str = Field(description="ok | awaiting_whitelist | refused")
    problem: MessageOut | None
    warnings: list[MessageOut]
    balances: list[BalanceSeenOut]
    permissions: list[str]
    ip_whitelist: list[str] | None
    exchange_account_id: str | None


class ConnectedAnswer(Answer):
    account: AccountOut
    inspection: InspectionOut
    message: str | None = Field(None, description="Add only: the confirmation shown.")


class AccountsAnswer(Answer):
    accounts: list[AccountOut]


class ExchangeChoiceOut(Answer):
    id: str
    name: str
    market: str = Field(description="futures | spot")
    supported: bool
    fast_connect: bool
    passphrase_hint: str
    note: str
    credential_fields: list[str] = Field(
        description="What the Manual connect form asks: api_key, secret[, passphrase]."
    )
    key_page: str = Field(description="Where keys are made and edited on the exchange.")
    key_needs: list[str] = Field(description="What a key must have, in the exchange's words.")
    default_label: str


class ExchangesAnswer(Answer):
    choices: list[ExchangeChoiceOut]


class IpWhitelistAnswer(Answer):
    ips: list[str]
    copy_text: str = Field(description="The addresses, comma-separated, to paste on the exchange.")


class AuditEntryOut(Answer):
    at: str
    actor: str
    action: str
    account_id: str | None
    detail: dict[str, Any]


class AuditAnswer(Answer):
    entries: list[AuditEntryOut]


class NoticeOut(Answer):
    id: str
    at: str
    kind: str
    message: str
    account_id: str | None


class NoticesAnswer(Answer):
    notices: list[NoticeOut]


class OkAnswer(Answer):
    ok: bool


class DisconnectedAnswer(Answer):
    disconnected: str = Field(description="The account's id.")
    warnings: list[MessageOut]


class FastConnectStarted(Answer):
    state: str
    authorize_url: str
    expires_at: str


class FastConnectStatus(Answer):
    status: str = Field(description="pending | connected | failed | denied | expired")
    message: MessageOut | None
    account: AccountOut | None
    warnings: list[MessageOut]
