"""Wallets (spot and futures), transfers between them, and the private read endpoints.

The spot wallet only holds money for the sandbox (deposits by the faucet, transfers to and from
futures); trading happens in the futures USDT wallet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from perpdesk.sandbox.engine import errors
from perpdesk.sandbox.engine.contracts import CONTRACTS, money, s
from perpdesk.sandbox.engine.state import ZERO, Transfer
from perpdesk.sandbox.engine.subaccounts import SubAccountsMixin
from perpdesk.sandbox.engine.views import transfer_view, txn_view

Json = dict[str, Any]
CURRENCY_NAMES = {"USDT": "Tether USD", "BTC": "Bitcoin", "ETH": "Ethereum", "SOL": "Solana"}
COIN_ASSETS = ("BTC", "ETH")
MIN_TRANSFER = Decimal("0.01")
MAX_TRANSFER = Decimal("10000000000")
MAX_DEPOSIT = Decimal("1000000000")


class AccountsMixin(SubAccountsMixin):
    # ---- spot wallet -------------------------------------------------------------------------
    def deposit(self, uid: str, currency: str, amount: Decimal) -> Json:
        """Faucet: credit the spot wallet. Returns {"currency","amount","available"}."""
        if currency not in CURRENCY_NAMES:
            raise errors.CURRENCY_NOT_EXIST(f"currency {currency!r}; supported: {', '.join(CURRENCY_NAMES)}")
        if not amount.is_finite() or amount <= 0 or amount > MAX_DEPOSIT:
            raise errors.ACCOUNT_INVALID_REQUEST(f"amount {amount}: more than 0, at most {MAX_DEPOSIT}")
        amount = money(amount)
        if amount <= 0:
            raise errors.ACCOUNT_INVALID_REQUEST("amount rounds to 0 at 8 decimals")
        acct = self._account(uid)
        acct.spot[currency] = acct.spot.get(currency, ZERO) + amount
        self._save_account(acct)
        return {"currency": currency, "amount": s(amount), "available": s(acct.spot[currency])}

    def spot_wallet(self, uid: str) -> Json:
        """GET /spot/v1/wallet -> {"wallet":[{"id","name","available","frozen"}]}."""
        acct = self._account(uid)
        return {
            "wallet": [
                {"id": cur, "name": CURRENCY_NAMES.get(cur, cur), "available": s(bal), "frozen": "0"}
                for cur, bal in sorted(acct.spot.items())
            ]
        }

    def account_wallet(self, uid: str, currency: str | None = None) -> Json:
        """GET /account/v1/wallet -> {"wallet":[{"currency","name","available","frozen",
        "available_usd_valuation"}]} (USDT valued 1:1, others at the contract's mark)."""
        acct = self._account(uid)
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
        sim = self.markets.get(f"{currency}USDT")
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
        acct = self._account(uid)
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
        now = self.now()
        tr = Transfer(self._next_id("transfer"), uid, currency, amount, type, now)
        self.transfers.setdefault(uid, []).append(tr)
        self._put("transfer", tr.transfer_id, tr)
        self._txn(uid, "", 1, signed)
        self._save_account(acct)
        self._push_asset(uid)
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
            for t in reversed(self.transfers.get(uid, []))
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
        self.spec(symbol)
        self._account(uid)
        return {"symbol": symbol, "taker_fee_rate": s(self.TAKER_FEE), "maker_fee_rate": s(self.MAKER_FEE)}

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
            self.spec(symbol)
        if flow_type not in (0, 1, 2, 3, 4, 5):
            raise errors.INVALID_REQUEST(f"flow_type {flow_type!r}: 0..5")
        if start_time and end_time and start_time > end_time:
            raise errors.TIMESTAMP_INVALID("start_time is after end_time")
        cap = max(1, min(page_size, 1000))
        out = []
        for t in reversed(self.txns.get(uid, [])):
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

    def close_all_position(
        self, uid: str, symbol: str | None = None, position_side: str | None = None
    ) -> Json:
        """POST /contract/private/close-all-position: market-close the positions of symbol (or of
        every symbol), of one side when position_side is long/short, else both -> {}.

        With both sides, the symbol's open orders are cancelled first (nothing may reopen the
        position). With one side, only orders that would close that side are cancelled (they
        hold its volume); orders on the other side stay."""
        if position_side not in (None, "long", "short"):
            raise errors.INVALID_REQUEST(f"position_side {position_side!r}: long or short")
        if symbol:
            self.spec(symbol)
        sides = (position_side,) if position_side else ("long", "short")
        held = self._user_positions(uid)
        symbols = [symbol] if symbol else sorted({sym for (sym, side) in held if side in sides})
        for sym in symbols:
            if position_side is None:
                self._cancel_all(uid, sym)
            else:
                self._cancel_closing(uid, sym, position_side)
            cap = CONTRACTS[sym].market_max_volume
            for side in sides:
                # market orders are capped at market_max_volume: close in as many slices as needed
                while (pos := self._user_positions(uid).get((sym, side))) is not None and pos.size:
                    n = min(pos.size - pos.frozen_close, cap)
                    if n <= 0:
                        break
                    self._place(uid, sym, side=3 if side == "long" else 2, size=n, type="market")
        self._push_asset(uid)
        return {}

    def _cancel_closing(self, uid: str, symbol: str, position_side: str) -> None:
        """Cancel the open orders that hold volume of the symbol's long or short position."""
        # a sell (3, or a one-way 4 that reduces first) holds long volume; a buy holds short volume
        closing = (3, 4) if position_side == "long" else (2, 1)
        todo = [
            o
            for o in self.open_by_uid.get(uid, {}).values()
            if o.symbol == symbol and (o.side == closing[0] or (o.side == closing[1] and o.close_frozen))
        ]
        for o in todo:
            self._finish(o, action=3)
        if todo:
            self._push_position(uid, symbol)
