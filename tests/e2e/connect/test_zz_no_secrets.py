"""After the connect flows (this file runs last in the folder): no API secret or passphrase that
the tests created, nor the platform's OAuth client secret or its users' password, appears in the
platform's database files, its log, or any response it sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.connect.conftest import ConnectEnv

pytestmark = pytest.mark.e2e


def leaks(secrets: set[str], blobs: list[tuple[str, bytes]]) -> list[tuple[str, str]]:
    found = []
    for where, data in blobs:
        for s in secrets:
            if s.encode() in data:
                found.append((where, s[:3] + "…"))
    return found


def test_leak_check_detects_a_planted_secret() -> None:
    assert leaks({"s3cr3t-value"}, [("x", b"...s3cr3t-value...")]) == [("x", "s3c…")]
    assert leaks({"s3cr3t-value"}, [("x", b"nothing here")]) == []


def test_no_secret_in_database_logs_or_responses(connect_env: ConnectEnv) -> None:
    if len(connect_env.secrets) < 4 or len(connect_env.bodies) < 10:
        pytest.skip("run with the connect flows (tests/e2e/connect): nothing was collected to check")
    data_dir = Path(connect_env.platform.data_dir)
    files = [(str(p), p.read_bytes()) for p in data_dir.iterdir() if p.is_file() and "sqlite3" in p.name]
    assert files, "the platform's database file was not found"
    log = [("platform log", connect_env.platform.log_path.read_bytes())]
    assert log[0][1], "the platform log is empty"
    assert leaks(connect_env.secrets, files) == []
    assert leaks(connect_env.secrets, log) == []
    assert leaks(connect_env.secrets, connect_env.bodies) == []
