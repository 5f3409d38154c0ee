"""JSON API: /api/accounts… and /api/fast-connect/…  (the same operations as the pages and CLI).

Responses carry masks and ids only; a submitted secret or passphrase is never echoed back.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from perpdesk.core.errors import InputError
from perpdesk.core.models import Credentials
from perpdesk.exchanges.registry import DEFAULT_EXCHANGE, entry
from perpdesk.services import account_checks, accounts, audit_log, connect_manual, fast_connect
from perpdesk.services.account_inputs import clean_credentials
from perpdesk.services.account_views import AccountView, choices
from perpdesk.services.key_audit import Audit
from perpdesk.web.accounts.common import DepsDep, wake_watcher
from perpdesk.web.accounts.schemas import (
    AccountOut,
    AccountsAnswer,
    AuditAnswer,
    ConnectedAnswer,
    DisconnectedAnswer,
    ExchangesAnswer,
    FastConnectStarted,
    FastConnectStatus,
    InspectionOut,
    IpWhitelistAnswer,
    NoticesAnswer,
    OkAnswer,
)
from perpdesk.web.auth import throttle_key_inspection
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.error_envelope import ERROR_RESPONSES

router = APIRouter(tags=["accounts"], responses=ERROR_RESPONSES)


class KeyIn(BaseModel):
    exchange: str = Field(
        DEFAULT_EXCHANGE, description="Exchange id, from GET /api/accounts/exchanges: 'bitmart' or 'binance'."
    )
    api_key: str = Field("", description="The key's id (BitMart: Access Key; Binance: API Key).")
    secret: str = Field("", description="The key's Secret Key.")
    passphrase: str = Field(
        "", description="Only for an exchange whose credential_fields name it (BitMart: the key's Memo)."
    )
    allow_withdraw: bool = Field(
        False,
        description="The user accepts, explicitly, that the key can withdraw funds. Without it a key with "
        "the Withdraw permission is refused (perpdesk never withdraws). Recorded in the audit log.",
    )


class AddIn(KeyIn):
    label: str | None = Field(None, description="Defaults to the exchange's name + ' Futures'.")
    accept_awaiting_whitelist: bool = Field(
        False,
        description="Store a key whose account the exchange has not whitelisted for futures API trading yet "
        "(BitMart); perpdesk re-checks it.",
    )


class LabelIn(BaseModel):
    label: str


class FastConnectIn(BaseModel):
    exchange: str = DEFAULT_EXCHANGE
    enable_futures: bool = True


def _exchange(value: str) -> str:
    ids = {c.id for c in choices() if c.supported}
    if value not in ids:
        raise InputError(
            "exchange",
            f"this exchange is not supported (only Futures accounts of: {', '.join(sorted(ids))})",
            f"Choose one of {', '.join(sorted(ids))} under Futures only.",
        )
    return value


def _key(body: KeyIn) -> tuple[str, Credentials]:
    """The exchange and the cleaned key of a manual connect form (Save and Add read the same)."""
    exchange = _exchange(body.exchange)
    return exchange, clean_credentials(body.api_key, body.secret, body.passphrase, entry(exchange).info)


def _connected(request: Request, acc: AccountView, result: Audit, **extra: str) -> dict[str, object]:
    """A key was stored (Add, or a replaced key): the account and its inspection. A key awaiting
    whitelisting wakes the watcher that re-checks it."""
    if acc.status == "awaiting_whitelist":
        wake_watcher(request)
    return {"account": acc.to_dict(), "inspection": result.to_dict(), **extra}


@router.get("/api/accounts", response_model=AccountsAnswer)
async def list_accounts(user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    rows = await accounts.list_accounts(deps, user.id)
    return {"accounts": [r.to_dict() for r in rows]}


@router.get("/api/accounts/exchanges", response_model=ExchangesAnswer)
async def exchanges(user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    return {
        "choices": [
            {
                "id": c.id,
                "name": c.name,
                "market": c.market,
                "supported": c.supported,
                "fast_connect": c.fast_connect,
                "passphrase_hint": c.passphrase_hint,
                "note": c.note,
                "credential_fields": list(c.info.credential_fields),
                "key_page": c.info.key_page,
                "key_needs": list(c.info.key_needs),
                "default_label": c.info.default_label,
            }
            for c in choices(deps.fast_connect_for)
        ]
    }


@router.get("/api/accounts/ip-whitelist", response_model=IpWhitelistAnswer)
async def ip_whitelist(user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    return {"ips": list(deps.egress_ips), "copy_text": ",".join(deps.egress_ips)}


@router.post(
    "/api/accounts/inspect", dependencies=[Depends(throttle_key_inspection)], response_model=InspectionOut,
    response_model_exclude_unset=True,
)
async def inspect(body: KeyIn, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    """Manual connect, Save: check the key and return balances and warnings. Stores nothing."""
    exchange, creds = _key(body)
    result = await connect_manual.inspect(deps, user.id, creds, exchange, allow_withdraw=body.allow_withdraw)
    return result.to_dict()


@router.post(
    "/api/accounts", status_code=201, dependencies=[Depends(throttle_key_inspection)],
    response_model=ConnectedAnswer, response_model_exclude_unset=True,
)
async def add(body: AddIn, request: Request, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    """Manual connect, Add: inspect again, seal and store."""
    exchange, creds = _key(body)
    account, result = await connect_manual.add(
        deps,
        user.id,
        creds,
        label=body.label,
        accept_awaiting_whitelist=body.accept_awaiting_whitelist,
        allow_withdraw=body.allow_withdraw,
        exchange=exchange,
    )
    return _connected(request, account, result, message="API key successfully connected")


@router.get("/api/accounts/audit-log", response_model=AuditAnswer)
async def audit(user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    rows = await audit_log.entries(deps, user.id)
    return {"entries": [r.to_dict() for r in rows]}


@router.get("/api/accounts/notices", response_model=NoticesAnswer)
async def notices(user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    rows = await audit_log.unread_notices(deps, user.id)
    return {"notices": [n.to_dict() for n in rows]}


@router.post("/api/accounts/notices/read", response_model=OkAnswer)
async def notices_read(user: CurrentUserDep, deps: DepsDep, notice_id: str | None = None) -> dict[str, bool]:
    await audit_log.mark_read(deps, user.id, notice_id)
    return {"ok": True}


@router.get("/api/accounts/{account_id}", response_model=AccountOut)
async def get_one(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    return (await accounts.get_account(deps, user.id, account_id)).to_dict()


@router.patch("/api/accounts/{account_id}", response_model=AccountOut)
async def edit_label(
    account_id: str, body: LabelIn, user: CurrentUserDep, deps: DepsDep
) -> dict[str, object]:
    acc = await accounts.rename(deps, user.id, account_id, body.label)
    return acc.to_dict()


@router.put(
    "/api/accounts/{account_id}/credentials", dependencies=[Depends(throttle_key_inspection)],
    response_model=ConnectedAnswer, response_model_exclude_unset=True,
)
async def replace(
    account_id: str, body: KeyIn, request: Request, user: CurrentUserDep, deps: DepsDep
) -> dict[str, object]:
    current = await accounts.get_account(deps, user.id, account_id)
    creds = clean_credentials(body.api_key, body.secret, body.passphrase, entry(current.exchange).info)
    acc, result = await accounts.replace_credentials(
        deps, user.id, account_id, creds, allow_withdraw=body.allow_withdraw
    )
    return _connected(request, acc, result)


@router.post(
    "/api/accounts/{account_id}/check", response_model=ConnectedAnswer, response_model_exclude_unset=True
)
async def check(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    acc, result = await account_checks.check(deps, user.id, account_id)
    return {"account": acc.to_dict(), "inspection": result.to_dict()}


@router.delete(
    "/api/accounts/{account_id}", response_model=DisconnectedAnswer, response_model_exclude_unset=True
)
async def disconnect(account_id: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    warnings = await accounts.disconnect(deps, user.id, account_id)
    return {"disconnected": account_id, "warnings": [w.to_dict() for w in warnings]}


@router.post("/api/fast-connect/start", status_code=201, response_model=FastConnectStarted)
async def fc_start(body: FastConnectIn, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    exchange = _exchange(body.exchange)
    started = await fast_connect.start(
        deps,
        user_id=user.id,
        session_hash=user.session_hash,
        enable_futures=body.enable_futures,
        exchange=exchange,
    )
    return {
        "state": started.state,
        "authorize_url": started.authorize_url,
        "expires_at": started.expires_at.isoformat(),
    }


@router.get(
    "/api/fast-connect/status", response_model=FastConnectStatus, response_model_exclude_unset=True
)
async def fc_status(state: str, user: CurrentUserDep, deps: DepsDep) -> dict[str, object]:
    outcome = await fast_connect.status(deps, user_id=user.id, session_hash=user.session_hash, state=state)
    return outcome.to_dict()
