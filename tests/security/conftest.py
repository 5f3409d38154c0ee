"""The security suite reuses the trading suite's platform (one real platform wired to the real
sandbox per session) and its signed-in API users."""

from tests.e2e.trading.conftest import ApiUser, api_user, make_api_user, trading_platform

__all__ = ["ApiUser", "api_user", "make_api_user", "trading_platform"]
