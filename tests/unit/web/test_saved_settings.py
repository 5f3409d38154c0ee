"""data_dir/settings.json (written by the demo) fills what the environment does not set, so the
CLI given the demo's data directory reaches the demo's sandbox; environment and overrides win;
only non-secret exchange settings are read from it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from perpdesk.settings import SAVED_SETTINGS_FILE, SettingsError, load_settings
from tests.unit.web.test_settings import clean_env  # noqa: F401  (autouse: no PERPDESK_*, no .env)


def _save(data_dir: Path, doc: object) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / SAVED_SETTINGS_FILE).write_text(json.dumps(doc))


def test_the_data_directorys_settings_fill_what_is_not_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tmp_path / "demo-data"
    _save(data, {
        "bitmart_api_url": "http://127.0.0.1:8810", "bitmart_ws_url": "ws://127.0.0.1:8810/user?protocol=1.1",
        "egress_ips": ["127.0.0.1"], "master_key": "not-read-from-here", "port": 1,
    })  # fmt: skip
    monkeypatch.setenv("PERPDESK_DATA_DIR", str(data))
    s = load_settings()
    assert (s.bitmart_api_url, s.bitmart_ws_url) == ("http://127.0.0.1:8810", "ws://127.0.0.1:8810/user?protocol=1.1")
    assert s.master_key is None and s.port == 8800  # only the savable exchange settings

    monkeypatch.setenv("PERPDESK_BITMART_API_URL", "https://api.example.com")
    assert load_settings().bitmart_api_url == "https://api.example.com"  # the environment wins
    assert load_settings(bitmart_ws_url="wss://x.example.com/user").bitmart_ws_url == "wss://x.example.com/user"


def test_without_the_file_the_defaults_hold(tmp_path: Path) -> None:
    assert load_settings(data_dir=tmp_path).bitmart_api_url == "https://api-cloud-v2.bitmart.com"


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    (tmp_path / SAVED_SETTINGS_FILE).write_text("{nope")
    with pytest.raises(SettingsError) as info:
        load_settings(data_dir=tmp_path)
    assert SAVED_SETTINGS_FILE in str(info.value) and "delete it" in str(info.value)
