"""Shared fixtures live in tests/fixtures/; each part adds its plugin module here."""

pytest_plugins: list[str] = [
    "tests.fixtures.sandbox",
    "tests.fixtures.binance",
    "tests.fixtures.db",
    "tests.fixtures.platform",
    "tests.fixtures.browser",
    "tests.fixtures.cluster",
]
