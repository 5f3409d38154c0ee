"""The live mirror's fixtures (sandbox connector with streams, bus and market hub, frozen prices)
the trading context (accounts in a real database) for the live notification tests, and a webhook
receiver on loopback."""

from collections.abc import Iterator

import pytest

from tests.integration.live.conftest import frozen_prices, hub, tapped  # noqa: F401
from tests.integration.notifications.receiver import Receiver
from tests.integration.trading.conftest import tctx  # noqa: F401


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on loopback, closed after the test."""
    r = Receiver()
    try:
        yield r
    finally:
        r.close()
