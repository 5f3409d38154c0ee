"""Wallets (spot and futures), transfers between them, the account figures at the current marks,
the transaction log and the futures account reads.

The spot wallet only holds money for the sandbox (deposits by the faucet, transfers to and from
futures); trading happens in the futures USDT wallet.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import CONTRACTS, money, s
from perpdesk.sandbox.engine.engine_state import MAKER_FEE, TAKER_FEE, EngineState
from perpdesk.sandbox.engine.margin import initial_margin, upnl
from perpdesk.sandbox.engine.state import ZERO, Transfer, Txn
from perpdesk.sandbox.engine.views import transfer_view, txn_view

Json = dict[str, Any]
CURRENCY_NAMES = {"USDT": "Tether USD", "BTC": "Bitcoin", "ETH": "Ethereum", "SOL": "Solana"}
COIN_ASSETS = ("BTC", "ETH")
MIN_TRANSFER = Decimal("0.01")
MAX_TRANSFER = Decimal("10000000000")
MAX_DEPOSIT = Decimal("1000000000")


@dataclass(slots=True)
class Figures:
    """A user's futures USDT account at the current marks."""

    balance: Decimal
    unrealized: Decimal
    cross_unrealized: Decimal
    position_deposit: Decimal
    frozen: Decimal
    available: Decimal
    withdrawable: Decimal

    @property
    def equity(self) -> Decimal:
        return self.balance + self.unrealized


class Wallets:
    def __init__(self, state: EngineState) -> None:
        self.state = state

    # ---- account arithmetic, ledger and pushes -----------------------------------------------
    def figures(self, uid: str) -> Figures:
        st = self.state
        acct = st.account(uid)
        unreal = cross_unreal = deposit = ZERO
        for (sym, _side), pos in st.user_positions(uid).items():
            spec = CONTRACTS[sym]
            u = upnl(spec, pos, st.markets[sym].state.mark)
            unreal += u
            if pos.open_type == "cross":
                cross_unreal += u
            deposit += initial_margin(spec, pos)
        frozen = sum((o.frozen for o in st.open_by_uid.get(uid, {}).values()), ZERO)
        free = acct.balance - deposit - frozen
        available = max(ZERO, free + cross_unreal)
        withdrawable = max(ZERO, free + min(ZERO, cross_unreal))
        return Figures(
            balance=acct.balance,
            unrealized=money(unreal),
            cross_unrealized=money(cross_unreal),
            position_deposit=money(deposit),
            frozen=money(frozen),
            available=money(available),
            withdrawable=money(withdrawable),
        )

    def txn(self, uid: str, symbol: str, flow: int, amount: Decimal) -> None:
        """Record a change of the futures balance (flow: see views.FLOW_NAMES)."""
        t = Txn(self.state.next_id("txn"), uid, symbol, flow, amount, self.state.now())
        self.state.txns.setdefault(uid, []).append(t)
        self.state.put("txn", t.tran_id, t)

    def push_asset(self, uid: str) -> None:
        if not self.state.subscribers:
            return
        fig = self.figures(uid)
        self.state.emit(
            "futures/asset:USDT",
            uid,
            {
                "currency": "USDT",
                "available_balance": s(fig.available),
                "position_deposit": s(fig.position_deposit),
                "frozen_balance": s(fig.frozen),
            },
        )

    # ---- spot wallet -------------------------------------------------------------------------
    def ensure_account(self, uid: str) -> None:
        """Create empty spot and futures wallets for uid (idempotent)."""
        self.state.account(uid)

    def deposit(self, uid: str, currency: str, amount: Decimal) -> Json:
        """Faucet: credit the spot wallet. Returns {"currency","amount","available"}."""
        if currency not in CURRENCY_NAMES:
            raise errors.CURRENCY_NOT_EXIST(f"currency {currency!r}; supported: {', '.join(CURRENCY_NAMES)}")
        if not amount.is_finite() or amount <= 0 or amount > MAX_DEPOSIT:
            raise errors.ACCOUNT_INVALID_REQUEST(f"amount {amount}: more than 0, at most {MAX_DEPOSIT}")
        amount = money(amount)
        if amount <= 0:
            raise errors.ACCOUNT_INVALID_REQUEST("amount rounds to 0 at 8 decimals")
        acct = self.state.account(uid)
        acct.spot[currency] = acct.spot.get(currency, ZERO) + amount
        self.state.save_account(acct)
        return {"currency": currency, "amount": s(amount), "available": s(acct.spot[currency])}

    def spot_wallet(self, uid: str) -> Json:
        """GET /spot/v1/wallet -> {"wallet":[{"id","name","available","frozen"}]}."""
        acct = self.state.account(uid)
        return {
            "wallet": [
                {"id": cur, "name": CURRENCY_NAMES.get(cur, cur), "available": s(bal), "frozen": "0"}
                for cur, bal in sorted(acct.spot.items())
            ]
        }

    def account_wallet(self, uid: str, currency: str | None = None) -> Json:
        """GET /account/v1/wallet -> {"wallet":[{"currency","name","available","frozen",
        "available_usd_valuation"}]} (USDT valued 1:1, others at the contract's mark)."""
        acct = self.state.account(uid)
        rows = []
        for cur, bal in sorted(acct.spot.items()):
            if currency and cur != currency:
                continue
            usd = bal if cur == "USDT" else bal * self._usd_price(cur)
            rows.append(
                {
                    "currency": cur,
                    "name": CURRENCY_NAMES.get(cur, cur),
                    "available": s(bal),
                    "frozen": "0",
                    "unAvailable": "0",
                    "available_usd_valuation": s(money(usd)),
                }
            )
        return {"wallet": rows}

    def _usd_price(self, currency: str) -> Decimal:
        sim = self.state.markets.get(f"{currency}USDT")
        return sim.state.mark if sim is not None else ZERO

    # ---- transfers ---------------------------------------------------------------------------
    def transfer_contract(self, uid: str, currency: str, amount: Decimal, type: str) -> Json:
        """POST /account/v1/transfer-contract (type spot_to_contract|contract_to_spot)
        -> {"currency","amount"}."""
        if currency != "USDT":
            raise errors.CURRENCY_NOT_EXIST(f"currency {currency!r}: only USDT is supported")
        if type not in ("spot_to_contract", "contract_to_spot"):
            raise errors.ACCOUNT_INVALID_REQUEST(f"type {type!r}: spot_to_contract or contract_to_spot")
        if not amount.is_finite() or not MIN_TRANSFER <= amount <= MAX_TRANSFER:
            raise errors.ACCOUNT_INVALID_REQUEST(f"amount {amount}: allowed [{MIN_TRANSFER}, {MAX_TRANSFER}]")
        amount = money(amount)
        acct = self.state.account(uid)
        if type == "spot_to_contract":
            have = acct.spot.get("USDT", ZERO)
            if amount > have:
                raise errors.ACCOUNT_BALANCE_NOT_ENOUGH(f"spot USDT available {s(have)}")
            acct.spot["USDT"] = have - amount
            acct.balance += amount
            signed = amount
        else:
            free = self.figures(uid).withdrawable
            if amount > free:
                raise errors.BALANCE_NOT_ENOUGH(f"transferable {s(free)} USDT")
            acct.balance -= amount
            acct.spot["USDT"] = acct.spot.get("USDT", ZERO) + amount
            signed = -amount
        tr = Transfer(self.state.next_id("transfer"), uid, currency, amount, type, self.state.now())
        self.state.transfers.setdefault(uid, []).append(tr)
        self.state.put("transfer", tr.transfer_id, tr)
        self.txn(uid, "", 1, signed)
        self.state.save_account(acct)
        self.push_asset(uid)
        return {"currency": currency, "amount": s(amount)}

    def transfer_contract_list(
        self,
        uid: str,
        page: int = 1,
        limit: int = 10,
        currency: str | None = None,
        time_start: int | None = None,
        time_end: int | None = None,
    ) -> Json:
        """POST /account/v1/transfer-contract-list -> {"records":[{"transfer_id","currency",
        "amount","type","state","timestamp"}]} (newest first; page from 1, limit 10..100)."""
        if not 1 <= page <= 1000:
            raise errors.ACCOUNT_INVALID_REQUEST(f"page {page}: allowed [1, 1000]")
        if not 10 <= limit <= 100:
            raise errors.ACCOUNT_INVALID_REQUEST(f"limit {limit}: allowed [10, 100]")
        rows = [
            t
            for t in reversed(self.state.transfers.get(uid, []))
            if (not currency or t.currency == currency)
            and (time_start is None or t.timestamp >= time_start)
            and (time_end is None or t.timestamp <= time_end)
        ]
        chunk = rows[(page - 1) * limit : page * limit]
        return {"records": [transfer_view(t) for t in chunk]}

    # ---- futures account reads ---------------------------------------------------------------
    def assets_detail(self, uid: str) -> list[Json]:
        """GET /contract/private/assets-detail: the USDT asset, then the coin-margined assets
        BitMart lists beside it (BTC, ETH; always empty here: USDT perpetuals only)."""
        fig = self.figures(uid)
        rows = [
            {
                "currency": "USDT",
                "position_deposit": s(fig.position_deposit),
                "frozen_balance": s(fig.frozen),
                "available_balance": s(fig.available),
                "equity": s(fig.equity),
                "unrealized": s(fig.unrealized),
            }
        ]
        for coin in COIN_ASSETS:
            rows.append(
                {
                    "currency": coin,
                    "position_deposit": "0",
                    "frozen_balance": "0",
                    "available_balance": "0",
                    "equity": "0",
                    "unrealized": "0",
                }
            )
        return rows

    def trade_fee_rate(self, uid: str, symbol: str) -> Json:
        """GET /contract/private/trade-fee-rate -> {"symbol","taker_fee_rate","maker_fee_rate"}."""
        self.state.spec(symbol)
        self.state.account(uid)
        return {"symbol": symbol, "taker_fee_rate": s(TAKER_FEE), "maker_fee_rate": s(MAKER_FEE)}

    def transaction_history(
        self,
        uid: str,
        symbol: str | None = None,
        flow_type: int = 0,
        start_time: int | None = None,
        end_time: int | None = None,
        page_size: int = 100,
    ) -> list[Json]:
        """GET /contract/private/transaction-history (times in ms; newest first)."""
        if symbol:
            self.state.spec(symbol)
        if flow_type not in (0, 1, 2, 3, 4, 5):
            raise errors.INVALID_REQUEST(f"flow_type {flow_type!r}: 0..5")
        if start_time and end_time and start_time > end_time:
            raise errors.TIMESTAMP_INVALID("start_time is after end_time")
        cap = max(1, min(page_size, 1000))
        out = []
        for t in reversed(self.state.txns.get(uid, [])):
            if symbol and t.symbol != symbol:
                continue
            if flow_type and t.flow_type != flow_type:
                continue
            if (start_time and t.time < start_time) or (end_time and t.time > end_time):
                continue
            out.append(txn_view(t))
            if len(out) >= cap:
                break
        return out
