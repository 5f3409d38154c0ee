"""Futures sub-account transfers (BitMart's `/account/contract/sub-account/...` endpoints): USDT
moves between a main account's futures wallet and its sub-accounts' futures wallets.

Who is a sub-account of whom is the identity's business; the endpoints resolve names (emails) to
uids and call these methods with both."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import money, s
from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.state import ZERO, SubTransfer
from perpdesk.sandbox.engine.wallets import Wallets

Json = dict[str, Any]
MIN_SUB_TRANSFER = Decimal("0.01")
MAX_SUB_TRANSFER = Decimal("10000000000")
MAX_REQUEST_NO = 64


class SubAccounts:
    def __init__(self, state: EngineState, wallets: Wallets) -> None:
        self.state = state
        self.wallets = wallets

    def sub_account_transfer(
        self,
        from_uid: str,
        to_uid: str,
        *,
        from_account: str,
        to_account: str,
        currency: str,
        amount: Decimal,
        request_no: str,
    ) -> Json:
        """Move futures USDT from one account to another -> {} (BitMart answers an empty data)."""
        if currency != "USDT":
            raise errors.CURRENCY_NOT_EXIST(f"currency {currency!r}: only USDT is supported")
        if not request_no or len(request_no) > MAX_REQUEST_NO:
            raise errors.ACCOUNT_INVALID_REQUEST(f"requestNo: 1 to {MAX_REQUEST_NO} characters")
        ledger = self.state.sub_transfers
        if any(t.request_no == request_no for t in ledger):
            raise errors.ACCOUNT_INVALID_REQUEST(f"requestNo {request_no!r} was already used")
        if not amount.is_finite() or not MIN_SUB_TRANSFER <= amount <= MAX_SUB_TRANSFER:
            raise errors.ACCOUNT_INVALID_REQUEST(
                f"amount {amount}: allowed [{MIN_SUB_TRANSFER}, {MAX_SUB_TRANSFER}]"
            )
        amount = money(amount)
        free = self.wallets.figures(from_uid).withdrawable
        if amount > free:
            raise errors.BALANCE_NOT_ENOUGH(f"transferable {s(free)} USDT")
        source, target = self.state.account(from_uid), self.state.account(to_uid)
        source.balance -= amount
        target.balance += amount
        record = SubTransfer(
            request_no, from_uid, to_uid, from_account, to_account, currency, amount, self.state.now() // 1000
        )
        ledger.append(record)
        self.state.put("sub_transfer", request_no, record)
        self.wallets.txn(from_uid, "", 1, -amount)
        self.wallets.txn(to_uid, "", 1, amount)
        self.state.save_account(source)
        self.state.save_account(target)
        self.wallets.push_asset(from_uid)
        self.wallets.push_asset(to_uid)
        return {}

    def sub_account_wallet(self, uid: str, currency: str | None = None) -> Json:
        """The futures wallet of `uid` as the sub-account wallet endpoint lists it (balances > 0)."""
        fig = self.wallets.figures(uid)
        rows = []
        if fig.available > ZERO or fig.frozen > ZERO:
            rows.append(
                {"currency": "USDT", "name": "USDT", "available": s(fig.available), "frozen": s(fig.frozen)}
            )
        return {"wallet": [r for r in rows if not currency or r["currency"] == currency]}

    def sub_transfer_records(self, uid: str, limit: int, counterpart: str | None = None) -> list[Json]:
        """The newest `limit` sub-account transfers `uid` took part in (with `counterpart`, only
        those between the two)."""
        out = []
        for t in reversed(self.state.sub_transfers):
            if uid not in (t.from_uid, t.to_uid):
                continue
            if counterpart is not None and counterpart not in (t.from_uid, t.to_uid):
                continue
            out.append(
                {
                    "fromAccount": t.from_account,
                    "toAccount": t.to_account,
                    "toWalletType": "future",
                    "fromWalletType": "future",
                    "currency": t.currency,
                    "amount": s(t.amount),
                    "submissionTime": t.submission_time,
                }
            )
            if len(out) >= limit:
                break
        return out
