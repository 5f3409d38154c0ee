"""Manual connection: Save inspects the key and shows the balance; Add stores it.

Nothing is stored before Add. Add does not trust the browser: it inspects the key again and
stores only what the exchange confirms now (the form keeps the fields between the two clicks,
so no credential ever sits in a cookie, hidden field or server-side pending row).
"""

from __future__ import annotations

from perpdesk.core.models import ConnectMethod, Credentials
from perpdesk.services import accounts
from perpdesk.services import errors_text as T
from perpdesk.services.accounts import AccountView
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused
from perpdesk.services.key_audit import Audit, Verdict

DEFAULT_LABEL = "Bitmart Futures"


async def inspect(deps: AccountsDeps, user_id: str, creds: Credentials, exchange: str = "bitmart") -> Audit:
    """Save: check the key at the exchange and judge it. Refuses duplicates before asking the exchange."""
    async with deps.sessions() as s:
        await accounts.refuse_if_duplicate(s, deps, exchange, api_key=creds.api_key, account_id=None)
    result = await accounts.inspect_credentials(deps, exchange, creds)
    if result.account_id:
        async with deps.sessions() as s:
            await accounts.refuse_if_duplicate(s, deps, exchange, api_key=None, account_id=result.account_id)
    return result


async def add(
    deps: AccountsDeps,
    user_id: str,
    creds: Credentials,
    *,
    label: str | None = None,
    accept_awaiting_whitelist: bool = False,
    exchange: str = "bitmart",
) -> tuple[AccountView, Audit]:
    """Add: inspect again, then seal and store. A key awaiting whitelisting is stored only when the
    user chose "Save as awaiting whitelisting"."""
    name = accounts.clean_label(label, DEFAULT_LABEL)
    result = await inspect(deps, user_id, creds, exchange)
    if result.verdict is Verdict.REFUSED:
        raise ConnectRefused(result.problem or T.EXCHANGE_UNAVAILABLE)
    if result.verdict is Verdict.AWAITING_WHITELIST and not accept_awaiting_whitelist:
        raise ConnectRefused(T.NOT_WHITELISTED, status=409)
    account = await accounts.store_new_account(
        deps,
        user_id=user_id,
        exchange=exchange,
        creds=creds,
        result=result,
        method=ConnectMethod.MANUAL,
        label=name,
    )
    return account, result
