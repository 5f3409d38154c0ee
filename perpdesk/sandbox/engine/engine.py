"""`Engine`: the facade the rest of the sandbox calls. It builds the shared `EngineState` and the
collaborators that hold the rules (each given the state and the collaborators it needs), and
names one method per BitMart endpoint or admin lever, each the collaborator's own method.

One instance serves the whole sandbox; it is not thread-safe and is meant to be used from the
event loop only (all methods are quick and synchronous)."""

from __future__ import annotations

from collections.abc import Callable

from perpdesk.sandbox.engine.engine_state import EngineState
from perpdesk.sandbox.engine.fills import Fills
from perpdesk.sandbox.engine.funding import Funding
from perpdesk.sandbox.engine.liquidation import Liquidations
from perpdesk.sandbox.engine.market_clock import MarketClock
from perpdesk.sandbox.engine.order_entry import OrderEntry
from perpdesk.sandbox.engine.orders import Orders
from perpdesk.sandbox.engine.plan_book import PlanBook
from perpdesk.sandbox.engine.plans import Plans
from perpdesk.sandbox.engine.positions import Positions
from perpdesk.sandbox.engine.public import PublicData
from perpdesk.sandbox.engine.subaccounts import SubAccounts
from perpdesk.sandbox.engine.trading_settings import TradingSettings
from perpdesk.sandbox.engine.trailing import TrailingOrders
from perpdesk.sandbox.engine.triggers import Triggers
from perpdesk.sandbox.engine.wallets import Wallets
from perpdesk.sandbox.persist import Persist


class Engine:
    """The BitMart Futures sandbox engine. See the package docstring for the contract."""

    def __init__(
        self,
        persist: Persist | None,
        *,
        seed: int = 1,
        funding_interval_s: float = 28800.0,
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        state = EngineState(persist, seed, funding_interval_s, now_ms)
        self.state = state
        self.wallets = Wallets(state)
        self.sub_accounts = SubAccounts(state, self.wallets)
        self.plan_book = PlanBook(state)
        self.positions = Positions(state, self.plan_book)
        self.fills = Fills(state, self.wallets, self.positions, self.plan_book)
        self.settings = TradingSettings(state, self.wallets, self.positions)
        self.orders = Orders(state, self.wallets, self.positions, self.fills)
        self.entry = OrderEntry(state, self.wallets, self.positions, self.fills, self.settings, self.orders)
        self.plans = Plans(state, self.plan_book)
        self.trailing = TrailingOrders(state, self.plan_book)
        self.triggers = Triggers(state, self.wallets, self.plan_book, self.trailing, self.entry)
        self.funding = Funding(state, self.wallets)
        self.liquidations = Liquidations(state, self.wallets, self.positions, self.fills, self.orders)
        self.public = PublicData(state)
        self.market_clock = MarketClock(
            state, self.public, self.fills, self.triggers, self.funding, self.liquidations, self.orders
        )

        # events and the clock
        self.subscribe = state.subscribe
        self.now = state.now
        self.run = self.market_clock.run
        self.tick = self.market_clock.tick
        # /contract/public/*
        public = self.public
        self.symbols = public.symbols
        self.mark_price = public.mark_price
        self.last_price = public.last_price
        self.contract_details = public.contract_details
        self.depth = public.depth
        self.market_trades = public.market_trades
        self.funding_rate = public.funding_rate
        self.funding_rate_history = public.funding_rate_history
        self.funding_rate_v2 = public.funding_rate_v2
        self.kline = public.kline
        self.markprice_kline = public.markprice_kline
        self.open_interest = public.open_interest
        self.leverage_bracket = public.leverage_bracket
        # wallets, transfers, account reads
        wallets = self.wallets
        self.ensure_account = wallets.ensure_account
        self.figures = wallets.figures
        self.deposit = wallets.deposit
        self.spot_wallet = wallets.spot_wallet
        self.account_wallet = wallets.account_wallet
        self.transfer_contract = wallets.transfer_contract
        self.transfer_contract_list = wallets.transfer_contract_list
        self.assets_detail = wallets.assets_detail
        self.trade_fee_rate = wallets.trade_fee_rate
        self.transaction_history = wallets.transaction_history
        self.sub_account_transfer = self.sub_accounts.sub_account_transfer
        self.sub_account_wallet = self.sub_accounts.sub_account_wallet
        self.sub_transfer_records = self.sub_accounts.sub_transfer_records
        # leverage, position mode, positions
        self.submit_leverage = self.settings.submit_leverage
        self.get_position_mode = self.settings.get_position_mode
        self.set_position_mode = self.settings.set_position_mode
        self.adjust_isolated_margin = self.settings.adjust_isolated_margin
        self.position = self.positions.position
        self.position_v2 = self.positions.position_v2
        self.position_risk = self.positions.position_risk
        # orders
        self.submit_order = self.entry.submit_order
        self.close_all_position = self.entry.close_all_position
        orders = self.orders
        self.modify_limit_order = orders.modify_limit_order
        self.cancel_order = orders.cancel_order
        self.cancel_orders = orders.cancel_orders
        self.cancel_all_after = orders.cancel_all_after
        self.order = orders.order
        self.open_orders = orders.open_orders
        self.order_history = orders.order_history
        self.trades = orders.trades
        # plan, TP/SL and trailing orders
        plans = self.plans
        self.submit_plan_order = plans.submit_plan_order
        self.cancel_plan_order = plans.cancel_plan_order
        self.current_plan_orders = plans.current_plan_orders
        self.submit_tp_sl_order = plans.submit_tp_sl_order
        self.modify_tp_sl_order = plans.modify_tp_sl_order
        self.modify_plan_order = plans.modify_plan_order
        self.modify_preset_plan_order = plans.modify_preset_plan_order
        self.submit_trail_order = self.trailing.submit_trail_order
        self.cancel_trail_order = self.trailing.cancel_trail_order
        # admin levers: prices and funding
        clock = self.market_clock
        self.set_price = clock.set_price
        self.replay_prices = clock.replay_prices
        self.load_price_file = clock.load_price_file
        self.queue_price_lines = clock.queue_price_lines
        self.parse_price_lines = clock.parse_price_lines
        self.queued_prices = clock.queued_prices
        self.clear_replay = clock.clear_replay
        self.settle_funding = self.funding.settle_funding

    @property
    def price_walk(self) -> bool:
        """False while the seeded random walk is frozen (set_price and replays still move prices)."""
        return self.state.price_walk

    @price_walk.setter
    def price_walk(self, on: bool) -> None:
        self.state.price_walk = on
