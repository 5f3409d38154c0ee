"""Settings: defaults, and a missing or malformed setting named in the error."""

from __future__ import annotations

from pathlib import Path

import pytest

from perpdesk.settings import Settings, SettingsError, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import os

    for key in list(os.environ):
        if key.startswith("PERPDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env file


def test_defaults() -> None:
    s = load_settings()
    assert s.data_dir == Path("data")
    assert s.database_url == "sqlite+aiosqlite:///data/perpdesk.sqlite3"
    assert s.egress_ips == ["127.0.0.1"]
    assert (s.host, s.port, s.public_url) == ("127.0.0.1", 8800, "http://127.0.0.1:8800")
    assert s.secure_cookies is False
    assert (
        s.fast_connect_redirect_uri
        == "http://127.0.0.1:8800/settings/exchange-accounts/fast-connect/callback"
    )


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPDESK_EGRESS_IPS", "203.0.113.10, 203.0.113.11")
    monkeypatch.setenv("PERPDESK_PORT", "9000")
    monkeypatch.setenv("PERPDESK_PUBLIC_URL", "https://desk.example.com/")
    monkeypatch.setenv("PERPDESK_DATA_DIR", "/tmp/pd")
    s = load_settings()
    assert s.egress_ips == ["203.0.113.10", "203.0.113.11"]
    assert s.port == 9000
    assert s.public_url == "https://desk.example.com" and s.secure_cookies is True
    assert s.database_url == "sqlite+aiosqlite:////tmp/pd/perpdesk.sqlite3"


def test_egress_ips_accept_json_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPDESK_EGRESS_IPS", '["198.51.100.1"]')
    assert load_settings().egress_ips == ["198.51.100.1"]


@pytest.mark.parametrize(
    ("var", "value", "fragment"),
    [
        ("PERPDESK_PORT", "eighty", "PERPDESK_PORT"),
        ("PERPDESK_PORT", "70000", "PERPDESK_PORT"),
        ("PERPDESK_EGRESS_IPS", "1.2.3.4,not-an-ip", "PERPDESK_EGRESS_IPS: 'not-an-ip' is not an IP address"),
        ("PERPDESK_DATABASE_URL", "postgresql://u@h/db", "PERPDESK_DATABASE_URL: use an async driver URL"),
        ("PERPDESK_BITMART_API_URL", "ftp://x", "PERPDESK_BITMART_API_URL"),
        ("PERPDESK_BITMART_WS_URL", "http://x", "PERPDESK_BITMART_WS_URL: 'http://x' must start with ws://"),
        ("PERPDESK_LOG_LEVEL", "LOUD", "PERPDESK_LOG_LEVEL"),
        ("PERPDESK_FAST_CONNECT_TTL_S", "soon", "PERPDESK_FAST_CONNECT_TTL_S"),
        ("PERPDESK_WHITELIST_RECHECK_BASE_S", "0", "PERPDESK_WHITELIST_RECHECK_BASE_S"),
        ("PERPDESK_ORDER_SETTLE_INTERVAL_S", "-1", "PERPDESK_ORDER_SETTLE_INTERVAL_S"),
    ],
)
def test_malformed_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as exc:
        load_settings()
    assert fragment in str(exc.value)


def test_missing_client_secret_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPDESK_FAST_CONNECT_CLIENT_ID", "bm_123")
    with pytest.raises(SettingsError, match="PERPDESK_FAST_CONNECT_CLIENT_SECRET: missing"):
        load_settings()


def test_secret_values_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERPDESK_SESSION_SECRET", "x")  # fine for Settings; create_app checks length
    monkeypatch.setenv("PERPDESK_PORT", "bad-port")
    monkeypatch.setenv("PERPDESK_FAST_CONNECT_CLIENT_ID", "bm_1")
    monkeypatch.setenv("PERPDESK_FAST_CONNECT_CLIENT_SECRET", "very-secret-client-secret")
    with pytest.raises(SettingsError) as exc:
        load_settings()
    assert "very-secret-client-secret" not in str(exc.value)
    monkeypatch.delenv("PERPDESK_PORT")
    s = Settings(fast_connect_client_id="bm_1", fast_connect_client_secret="very-secret-client-secret")
    assert "very-secret-client-secret" not in repr(s)


def test_url_passwords_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    # a sync driver URL is refused; the message names the variable but hides the password
    monkeypatch.setenv("PERPDESK_DATABASE_URL", "postgresql://perpdesk:db-Passw0rd@db.internal:5432/perpdesk")
    with pytest.raises(SettingsError) as exc:
        load_settings()
    assert "PERPDESK_DATABASE_URL" in str(exc.value)
    assert "perpdesk:***@db.internal" in str(exc.value)
    assert "db-Passw0rd" not in str(exc.value)
    monkeypatch.delenv("PERPDESK_DATABASE_URL")
    s = Settings(
        database_url="postgresql+asyncpg://perpdesk:db-Passw0rd@db.internal/perpdesk",
        egress_proxy="http://egress:proxy-Passw0rd@10.0.0.1:3128",
    )
    assert "db-Passw0rd" not in repr(s) and "proxy-Passw0rd" not in repr(s)
