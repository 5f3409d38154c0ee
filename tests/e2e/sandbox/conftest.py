"""Screenshots of the sandbox's page tests go to test-artifacts/sandbox/<test>/<step>.png.

The browser itself is the shared async fixture `browser_context` (tests/fixtures/browser.py).
"""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Screenshots

Shots = Screenshots


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    return Shots("sandbox", request.node.name)
