"""BitMart Futures V2 (USDT perpetuals): REST + WebSocket connector and the Fast Connect client."""

from perpdesk.core.models import new_client_order_id
from perpdesk.core.pkce import pkce_challenge, pkce_verifier
from perpdesk.exchanges.bitmart.connector import BITMART_INFO, BitmartFuturesConnector
from perpdesk.exchanges.bitmart.fast_connect import BitmartFastConnect, new_state

__all__ = [
    "BITMART_INFO",
    "BitmartFastConnect",
    "BitmartFuturesConnector",
    "new_client_order_id",
    "new_state",
    "pkce_challenge",
    "pkce_verifier",
]
