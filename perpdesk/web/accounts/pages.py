"""HTML pages: Settings > Exchange Account API Keys, Edit, the audit log, the Fast Connect callback."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from perpdesk.exchanges.registry import entry
from perpdesk.services import accounts, audit_log, fast_connect
from perpdesk.services.account_views import choices
from perpdesk.settings import FAST_CONNECT_CALLBACK_PATH
from perpdesk.web.accounts.common import DepsDep
from perpdesk.web.deps import CurrentUserDep, OptionalUserDep
from perpdesk.web.templating import render

router = APIRouter(include_in_schema=False)

BASE = "/settings/exchange-accounts"


@router.get(BASE)
async def list_page(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    rows = await accounts.list_accounts(deps, user.id)
    notices = await audit_log.unread_notices(deps, user.id)
    chooser = choices(deps.fast_connect_for)
    return render(
        request,
        "accounts/list.html",
        accounts=rows,
        notices=notices,
        choices=chooser,
        egress_ips=list(deps.egress_ips),
    )


@router.get(BASE + "/audit-log")
async def audit_page(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    entries = await audit_log.entries(deps, user.id)
    return render(request, "accounts/audit.html", entries=entries)


@router.get(BASE + "/{account_id}/edit")
async def edit_page(account_id: str, request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    account = await accounts.get_account(deps, user.id, account_id)
    return render(
        request, "accounts/edit.html", account=account, egress_ips=list(deps.egress_ips),
        info=entry(account.exchange).info,
    )


@router.get(FAST_CONNECT_CALLBACK_PATH)
async def fast_connect_callback(
    request: Request,
    user: OptionalUserDep,
    deps: DepsDep,
    state: str = "",
    code: str | None = None,
    error: str | None = None,
) -> Response:
    outcome = await fast_connect.finish(
        deps,
        session_hash=user.session_hash if user else None,
        state=state,
        code=code,
        error=error,
    )
    status = 200 if outcome.status == fast_connect.CONNECTED else 400
    return render(request, "accounts/callback.html", status, outcome=outcome)
