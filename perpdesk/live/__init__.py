"""Live account state: one mirror per active account fed by the exchange's streams, shared
market data, an event bus to the browsers, and the supervisor that owns the mirrors.

    exchange WS → connector streams → AccountMirror / MarketHub → EventBus → SSE, pages, API
"""
