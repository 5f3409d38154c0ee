"""Trading pages and JSON API for connected accounts: Portfolio, Trade, /api/accounts/{id}/...

The background settler of unknown order outcomes is started with the other services
(perpdesk/bootstrap.py). Importing this package adds the `exact` (Decimals as exact strings) and
`utc_ms` template filters.
"""

from perpdesk.web.templating import templates
from perpdesk.web.trading import api, pages
from perpdesk.web.trading.common import exact, utc_ms

templates.env.filters["exact"] = exact
templates.env.filters["utc_ms"] = utc_ms

__all__ = ["api", "pages"]
