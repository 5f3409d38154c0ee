"""Screenshots of the sandbox's page tests go to test-artifacts/sandbox/<test>/<step>.png.

The browser itself is the shared async fixture `browser_context` (tests/fixtures/browser.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "sandbox"


class Shots:
    def __init__(self, name: str) -> None:
        self.dir = ARTIFACTS / name
        self.n = 0

    async def __call__(self, page: Any, step: str) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n += 1
        await page.screenshot(path=str(self.dir / f"{self.n:02d}-{step}.png"), full_page=True)


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shots:
    return Shots(request.node.name)
