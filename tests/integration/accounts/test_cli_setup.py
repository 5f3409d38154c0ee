"""The data commands told where the platform's data is not: one line naming what to set, exit 2,
no traceback, and nothing created (a wrong folder never gets an empty database of its own). And
`vault status` / `vault rotate` print JSON with --json, never key material."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perpdesk.cli import app
from perpdesk.store.db import migrate


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    for key in list(os.environ):
        if key.startswith("PERPDESK_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # "another folder": no ./data here
    return {}


@pytest.mark.parametrize(
    "command", [["portfolio"], ["accounts", "list"], ["trade", "orders", "--account", "x"]]
)
def test_no_database_here(env: dict[str, str], tmp_path: Path, command: list[str]) -> None:
    done = CliRunner().invoke(app, [*command, "--user", "me@example.com"], env=env)
    assert done.exit_code == 2, done.output
    assert "no perpdesk database at" in done.output and "PERPDESK_DATA_DIR" in done.output
    assert done.exception is None or isinstance(done.exception, SystemExit)
    assert not (tmp_path / "data").exists()  # nothing created


def test_no_master_key_beside_the_database(env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "data"
    asyncio.run(migrate(f"sqlite+aiosqlite:///{data / 'perpdesk.sqlite3'}"))
    done = CliRunner().invoke(app, ["portfolio", "--user", "me@example.com"], env=env)
    assert done.exit_code == 2, done.output
    assert "no vault master key at" in done.output and "PERPDESK_MASTER_KEY_FILE" in done.output
    assert "Traceback" not in done.output and "MasterKeyError" not in done.output

    bad = {"PERPDESK_MASTER_KEY": base64.b64encode(b"short").decode()}  # malformed: said, not raised
    done = CliRunner().invoke(app, ["accounts", "list", "--user", "me@example.com"], env=bad)
    assert done.exit_code == 2 and "must be 32" in done.output


def test_vault_status_and_rotate_as_json(env: dict[str, str], tmp_path: Path) -> None:
    env = {"PERPDESK_DATA_DIR": str(tmp_path / "d"), "PERPDESK_MASTER_KEY_FILE": str(tmp_path / "m.key")}
    assert CliRunner().invoke(app, ["vault", "init"], env=env).exit_code == 0
    status = CliRunner().invoke(app, ["vault", "status", "--json"], env=env)
    assert status.exit_code == 0, status.output
    assert json.loads(status.output) == {
        "current_version": 1, "versions": [{"version": 1, "sealed_secrets": 0, "in_keyring": True}],
    }  # fmt: skip
    rotated = CliRunner().invoke(app, ["vault", "rotate", "--json"], env=env)
    assert rotated.exit_code == 0, rotated.output
    report = json.loads(rotated.output)
    assert (report["new_version"], report["old_versions"], report["unreadable"]) == (2, [1], [])
    key_text = (tmp_path / "m.key").read_text()
    assert all(k not in rotated.output for k in json.loads(key_text)["keys"].values())  # no key material
