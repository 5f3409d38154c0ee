"""The live mirror's fixtures (sandbox connector with streams, bus and market hub, frozen prices)
and the trading context (accounts in a real database) for the live notification tests."""

from tests.integration.live.conftest import frozen_prices, hub, tapped  # noqa: F401
from tests.integration.trading.conftest import tctx  # noqa: F401
