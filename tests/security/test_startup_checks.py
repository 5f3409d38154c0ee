"""`perpdesk serve` refuses a guessable PERPDESK_SESSION_SECRET (naming the variable, never showing
the value) and warns loudly when it listens beyond loopback over plain http."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from perpdesk.bootstrap import weak_secret
from perpdesk.cli.serve import plain_http_warning
from perpdesk.settings import Settings
from tests.security.test_auth_http import _serve

UNREACHABLE_DB = "postgresql+asyncpg://u@127.0.0.1:9/perpdesk"  # fails after the checks, before binding


@pytest.mark.parametrize(
    "value",
    [
        "a" * 32,  # 32 identical characters
        "ab" * 20,  # a two-letter alphabet
        "abcdefgh" * 5,  # a short alphabet, repeated
        "0123456789abcdef" * 2,  # a sequence
        "qwertyuiopasdfghjklzxcvbnm123456",  # a keyboard row
        "correcthorsebatterystaple-correct",  # words
        "x" * 20,  # too short
    ],
)
def test_guessable_session_secrets_are_refused(value: str) -> None:
    assert weak_secret(value) is not None


@pytest.mark.parametrize("make", [lambda: secrets.token_hex(16), lambda: secrets.token_urlsafe(48)])
def test_random_session_secrets_are_accepted(make: object) -> None:
    assert callable(make)
    assert all(weak_secret(make()) is None for _ in range(25))


def test_serve_refuses_a_weak_secret_naming_the_variable(tmp_path: Path) -> None:
    weak = "Z" * 40
    result = _serve({"PERPDESK_SESSION_SECRET": weak}, tmp_path, "--init-master-key")
    assert result.returncode == 2
    assert "PERPDESK_SESSION_SECRET: is too predictable" in result.stderr and "token_urlsafe" in result.stderr
    assert weak not in result.stderr + result.stdout


def test_serve_warns_about_plain_http_beyond_loopback(tmp_path: Path) -> None:
    env = {"PERPDESK_HOST": "0.0.0.0", "PERPDESK_DATABASE_URL": UNREACHABLE_DB}
    result = _serve(env, tmp_path, "--init-master-key")
    assert "WARNING: the platform listens on 0.0.0.0" in result.stderr
    assert "cookies are not Secure and HSTS is off" in result.stderr and result.returncode == 2


@pytest.mark.parametrize(
    ("host", "public_url", "warned"),
    [
        ("127.0.0.1", "", False),
        ("::1", "", False),
        ("localhost", "", False),
        ("0.0.0.0", "", True),
        ("192.0.2.10", "http://desk.example.com", True),
        ("0.0.0.0", "https://desk.example.com", False),
    ],
)
def test_plain_http_warning(host: str, public_url: str, warned: bool) -> None:
    settings = Settings(host=host, public_url=public_url)
    assert (plain_http_warning(settings) is not None) is warned
