"""The sandbox's trading engine: wallets, contracts, orders, positions, mark price, funding, liquidation.

`Engine` (engine.py) is a facade over one `EngineState` and the collaborators that hold the rules
(wallets, positions, fills, orders, order entry, plans, trailing, triggers, funding, liquidation,
public data, market clock); docs/sandbox.md lists what each module holds.

Contract with the other sandbox layers:
- The HTTP layer validates presence/format of parameters, checks auth, then calls one `Engine`
  method per BitMart endpoint (typed args: uid first for private ones; sizes int contracts;
  prices/amounts Decimal; BitMart's enum ints/strings) and wraps the return value as `data` in
  BitMart's envelope. Business errors raise `EngineError(code, message, http_status)` with
  BitMart's code. After a mutating call, await `persist.flush()` before answering.
- The WebSocket layer calls `engine.subscribe(callback)` and receives `EngineEvent`s whose
  `channel` is BitMart's channel name (`futures/order`, `futures/position`, `futures/asset:USDT`
  with uid set; `futures/ticker` (one per symbol and tick: the WS layer builds the depth, k-line,
  bookticker and funding pushes from `feeds.MarketFeeds` then), `futures/trade:SYM` with uid
  None) and whose `data` is BitMart's push `data`.
- `await engine.run(interval_s)` drives the market (ticks); `set_price` is the admin's lever.

Endpoint -> method:
  /contract/public/details contract_details | depth depth | market-trade market_trades |
  funding-rate funding_rate | funding-rate-history funding_rate_history |
  funding-rate-v2 funding_rate_v2 | kline kline | markprice-kline markprice_kline |
  open-interest open_interest | leverage-bracket leverage_bracket
  /contract/private/ assets-detail assets_detail | trade-fee-rate trade_fee_rate |
  position position | position-v2 position_v2 | position-risk position_risk |
  get-position-mode get_position_mode | set-position-mode set_position_mode |
  submit-leverage submit_leverage | submit-order submit_order |
  modify-limit-order modify_limit_order | cancel-order cancel_order |
  cancel-orders cancel_orders | cancel-all-after cancel_all_after | order order |
  get-open-orders open_orders | order-history order_history | trades trades |
  transaction-history transaction_history | submit-plan-order submit_plan_order |
  cancel-plan-order cancel_plan_order | current-plan-order current_plan_orders |
  submit-tp-sl-order submit_tp_sl_order | modify-tp-sl-order modify_tp_sl_order |
  modify-plan-order modify_plan_order | modify-preset-plan-order modify_preset_plan_order |
  submit-trail-order submit_trail_order | cancel-trail-order cancel_trail_order |
  close-all-position close_all_position (position_side long/short or both)
  /spot/v1/wallet spot_wallet | /account/v1/wallet account_wallet |
  /account/v1/transfer-contract transfer_contract |
  /account/v1/transfer-contract-list transfer_contract_list
  admin/pages: ensure_account, deposit, set_price, mark_price, last_price, symbols, figures,
  replay_prices / load_price_file / queue_price_lines / parse_price_lines (queued marks played
  one per tick; a file or batch is checked whole first), queued_prices, clear_replay,
  price_walk (bool: freeze the seeded random walk; set_price and replays still move prices).
  Each walk step is drawn from (seed, symbol, step number); the step number is saved with the
  market, so a restart continues the sequence.
"""

from __future__ import annotations

from perpdesk.sandbox.engine.engine import Engine
from perpdesk.sandbox.engine.engine_state import EngineEvent
from perpdesk.sandbox.engine.errors import EngineError
from perpdesk.sandbox.engine.wallets import Figures

__all__ = ["Engine", "EngineError", "EngineEvent", "Figures"]
