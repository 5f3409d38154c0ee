"""Manual connection: Save inspects the key and shows the balance; Add stores it.

Nothing is stored before Add. Add does not trust the browser: it inspects the key again and
stores only what the exchange confirms now (the form keeps the fields between the two clicks,
so no credential ever sits in a cookie, hidden field or server-side pending row).

The secret's path: form → account_inputs.clean_credentials → here → account_access (exchange
check, then seal and store through the unit of work) → the vault.
"""

from __future__ import annotations

from perpdesk.core.models import ConnectMethod, Credentials
from perpdesk.exchanges.registry import DEFAULT_EXCHANGE, entry
from perpdesk.services import errors_text as T
from perpdesk.services.account_access import (
    inspect_credentials,
    inspect_storable,
    refuse_if_duplicate,
    store_new_account,
)
from perpdesk.services.account_inputs import clean_label
from perpdesk.services.account_views import AccountView
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.errors_text import ConnectRefused
from perpdesk.services.key_audit import Audit, Verdict


async def inspect(
    deps: AccountsDeps,
    user_id: str,
    creds: Credentials,
    exchange: str = DEFAULT_EXCHANGE,
    *,
    allow_withdraw: bool = False,
) -> Audit:
    """Save: check the key at the exchange and judge it. Whether the key (or its exchange account)
    is connected already is told only once the exchange has verified the key's signature: the
    answer would otherwise tell anyone holding a bare API key whether it is in use here.
    A key that can withdraw is refused unless the user ticked that they accept it."""
    result = await inspect_credentials(deps, deps.venue_for(exchange), creds, allow_withdraw=allow_withdraw)
    if result.storable:
        await _refuse_if_connected(deps, exchange, creds, result)
    return result


async def _refuse_if_connected(deps: AccountsDeps, exchange: str, creds: Credentials, result: Audit) -> None:
    async with deps.uow() as uow:
        await refuse_if_duplicate(uow, deps, exchange, api_key=creds.api_key, account_id=result.account_id)


async def add(
    deps: AccountsDeps,
    user_id: str,
    creds: Credentials,
    *,
    label: str | None = None,
    accept_awaiting_whitelist: bool = False,
    allow_withdraw: bool = False,
    exchange: str = DEFAULT_EXCHANGE,
) -> tuple[AccountView, Audit]:
    """Add: inspect again, then seal and store. A key awaiting whitelisting is stored only when the
    user chose "Save as awaiting whitelisting"."""
    name = clean_label(label, entry(exchange).info.default_label)
    venue = deps.venue_for(exchange)
    result = await inspect_storable(deps, venue, creds, allow_withdraw=allow_withdraw)
    if result.verdict is Verdict.AWAITING_WHITELIST and not accept_awaiting_whitelist:
        await _refuse_if_connected(deps, exchange, creds, result)  # the first thing to fix
        raise ConnectRefused(T.NOT_WHITELISTED, status=409)
    async with deps.uow() as uow:
        account = await store_new_account(
            deps,
            uow,
            user_id=user_id,
            venue=venue,
            creds=creds,
            result=result,
            method=ConnectMethod.MANUAL,
            label=name,
            allow_withdraw=allow_withdraw,
        )
        await uow.commit()
    return account, result
