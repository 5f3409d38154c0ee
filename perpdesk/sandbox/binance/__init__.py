"""The sandbox's second dialect: Binance USDⓈ-M Futures, on its own port, over the same engine
and the same users as the BitMart dialect (a key records which dialect it signs for).

`binance.app.binance_app(sandbox_app)` is the ASGI app of that port; docs/sandbox-binance.md says what is
served and what is assumed.
"""
