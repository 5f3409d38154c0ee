"""The live settings are validated at start, naming the variable and what to do."""

from __future__ import annotations

import pytest

from perpdesk.settings import SettingsError, load_settings


@pytest.mark.parametrize(("overrides", "named"), [
    ({"live_reconcile_interval_s": "0.1"}, "PERPDESK_LIVE_RECONCILE_INTERVAL_S"),
    ({"live_subscriber_queue": "2"}, "PERPDESK_LIVE_SUBSCRIBER_QUEUE"),
    ({"live_ownership": "redis"}, "PERPDESK_LIVE_OWNERSHIP"),
    ({"live_ownership": "postgres"}, "needs a PostgreSQL PERPDESK_DATABASE_URL"),
])
def test_bad_live_settings_stop_the_start(overrides: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(**overrides)


def test_defaults() -> None:
    s = load_settings()
    assert (s.live_enabled, s.live_reconcile_interval_s, s.live_ownership) == (True, 60.0, "process")
