"""Live account state on the web: the JSON read of a mirror, the account and market SSE streams,
and the refresh after a write. `perpdesk.web.app` includes the routers and the write wrapper."""

from __future__ import annotations

from perpdesk.web.live import api, market_api
from perpdesk.web.live.writes import AfterWrite

__all__ = ["AfterWrite", "api", "market_api"]
