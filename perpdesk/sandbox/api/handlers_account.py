"""Handlers of the account host's endpoints: transfers, wallets, key info, sub-accounts."""

from __future__ import annotations

from typing import Any

from perpdesk.sandbox.api.params import Params
from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.identity import User


def _usdt(p: Params) -> str:
    currency = p.req_str("currency")
    if currency != "USDT":
        raise p.error("parameter 'currency' only supports USDT")
    return currency


def transfer_contract(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.transfer_contract(
        uid,
        _usdt(p),
        p.req_dec("amount"),
        p.req_str("type", choices=("spot_to_contract", "contract_to_spot")),
    )


def transfer_contract_list(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.transfer_contract_list(
        uid,
        page=p.req_int("page", min_value=1, max_value=1000),
        limit=p.req_int("limit", min_value=10, max_value=100),
        currency=p.str_("currency"),
        time_start=p.int_("time_start", min_value=0),
        time_end=p.int_("time_end", min_value=0),
    )


def account_wallet(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.account_wallet(uid, p.str_("currency"))


def spot_wallet(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.spot_wallet(uid)


def key_account_info(ctx: SandboxContext, uid: str, p: Params) -> Any:
    # Filled in by the dispatcher, which knows the key; the handler only shapes the answer.
    raise NotImplementedError


# ---- futures sub-accounts ----------------------------------------------------------------------------
def _me(ctx: SandboxContext, uid: str) -> User:
    user = ctx.identity.user_by_uid(uid)
    assert user is not None  # the key was found, so its user exists
    return user


def _sub_of(ctx: SandboxContext, uid: str, p: Params) -> User:
    name = p.req_str("subAccount")
    sub = ctx.identity.user_by_email(name)
    if sub is None or sub.parent_uid != uid:
        raise p.error(f"parameter 'subAccount': {name!r} is not a sub-account of this account")
    return sub


def _sub_transfer(ctx: SandboxContext, p: Params, source: User, target: User) -> Any:
    return ctx.engine.sub_account_transfer(
        source.uid,
        target.uid,
        from_account=source.email,
        to_account=target.email,
        currency=p.req_str("currency"),
        amount=p.req_dec("amount"),
        request_no=p.req_str("requestNo"),
    )


def main_sub_to_main(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return _sub_transfer(ctx, p, _sub_of(ctx, uid, p), _me(ctx, uid))


def main_main_to_sub(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return _sub_transfer(ctx, p, _me(ctx, uid), _sub_of(ctx, uid, p))


def sub_sub_to_main(ctx: SandboxContext, uid: str, p: Params) -> Any:
    me = _me(ctx, uid)
    main = ctx.identity.user_by_uid(me.parent_uid) if me.parent_uid else None
    if main is None:
        raise p.error("this key belongs to a main account; use /account/contract/sub-account/main/v1/...")
    return _sub_transfer(ctx, p, me, main)


def sub_wallet(ctx: SandboxContext, uid: str, p: Params) -> Any:
    sub = _sub_of(ctx, uid, p)
    return ctx.engine.sub_account_wallet(sub.uid, p.str_("currency"))


def sub_transfer_list(ctx: SandboxContext, uid: str, p: Params) -> Any:
    sub = _sub_of(ctx, uid, p)
    limit = p.req_int("limit", min_value=1, max_value=100)
    return ctx.engine.sub_transfer_records(uid, limit, counterpart=sub.uid)


def sub_transfer_history(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return ctx.engine.sub_transfer_records(uid, p.req_int("limit", min_value=1, max_value=100))


# ---- affiliate -----------------------------------------------------------------------------------------
# Nobody trades through an affiliate link in the sandbox: the pages are always empty, but the
# parameters are checked and the page echoed as BitMart documents it.
def affiliate_rebate_list(ctx: SandboxContext, uid: str, p: Params) -> Any:
    page = p.req_int("page", min_value=1)
    size = p.req_int("size", min_value=1, max_value=100)
    p.req_str("currency")
    for name in (
        "user_id",
        "rebate_start_time",
        "rebate_end_time",
        "register_start_time",
        "register_end_time",
    ):
        p.int_(name, min_value=0)
    return {
        "total": 0,
        "btc_rebate_sum": 0,
        "size": size,
        "usdt_rebate_sum": 0,
        "page": page,
        "eth_rebate_sum": 0,
        "rebate_detail_page_data": [],
    }


def affiliate_trade_list(ctx: SandboxContext, uid: str, p: Params) -> Any:
    p.req_int("user_id", min_value=0)
    p.req_int("type", choices=(1, 2))
    page = p.req_int("page", min_value=1)
    size = p.req_int("size", min_value=1, max_value=100)
    p.int_("start_time", min_value=0)
    p.int_("end_time", min_value=0)
    return {"total": 0, "size": size, "page": page, "list": []}


# ---- in the official SDK (2.8.0), not in the reference snapshot ----------------------------------------
def account_transfer(ctx: SandboxContext, uid: str, p: Params) -> Any:
    """POST /contract/private/account/v1/transfer: fund (the sandbox's spot wallet) <-> contract."""
    currency = _usdt(p)
    direction = p.req_str("type", choices=("fund_to_contract", "contract_to_fund"))
    kind = "spot_to_contract" if direction == "fund_to_contract" else "contract_to_spot"
    return ctx.engine.transfer_contract(uid, currency, p.req_dec("amount"), kind)


def _empty_page(p: Params, currency_param: str) -> Any:
    # USDT is the only collateral in the sandbox: nothing is ever borrowed, accrued or repaid
    p.int_("start_time", min_value=0)
    p.int_("end_time", min_value=0)
    p.str_(currency_param)
    page = p.int_("page", min_value=1) or 1
    size = p.int_("size", min_value=1, max_value=1000) or 10
    return {"total": 0, "page": page, "size": size, "list": []}


def auto_repayment(ctx: SandboxContext, uid: str, p: Params) -> Any:
    p.str_("type")
    return _empty_page(p, "from_coin_code")


def cross_collateral_interest_log(ctx: SandboxContext, uid: str, p: Params) -> Any:
    return _empty_page(p, "coin_code")
