"""Binance USDⓈ-M Futures (USDT perpetuals): REST and WebSocket connector, natively on perpdesk/http."""

from perpdesk.exchanges.binance.connector import BINANCE_INFO, BinanceFuturesConnector

__all__ = ["BINANCE_INFO", "BinanceFuturesConnector"]
