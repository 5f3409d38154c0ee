"""Structured logs: JSON lines, and secrets redacted from messages, extras and tracebacks."""

from __future__ import annotations

import io
import json
import logging

from perpdesk.log_config import configure_logging, redact_text


def test_redact_text_masks_secret_pairs_and_oauth_query_parameters() -> None:
    line = 'GET /cb?code=abc123&state=st4te HTTP/1.1 secret=foo password: bar "passphrase": "m3mo" keep=1'
    out = redact_text(line)
    for secret in ("abc123", "st4te", "foo", "bar", "m3mo"):
        assert secret not in out
    assert "keep=1" in out and "GET /cb" in out


def test_handler_writes_json_and_redacts_everything() -> None:
    stream = io.StringIO()
    handler = configure_logging("INFO", json_lines=True, stream=stream)
    try:
        log = logging.getLogger("perpdesk.test")
        log.info("connecting key api_secret=%s", "S3CRET-1", extra={"password": "pw-2", "account": "acc-9"})
        try:
            raise ValueError("bad token=T0KEN-3")
        except ValueError:
            log.exception("failed")
        logging.getLogger("uvicorn.access").info('127.0.0.1 - "GET /x?code=C0DE-4 HTTP/1.1" 200')
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    for secret in ("S3CRET-1", "pw-2", "T0KEN-3", "C0DE-4"):
        assert secret not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines[0]["logger"] == "perpdesk.test" and lines[0]["account"] == "acc-9"
    assert lines[0]["password"] == "***"
    assert "ValueError" in lines[1]["exc"]
    assert lines[2]["logger"] == "uvicorn.access"


def test_url_passwords_are_masked_in_log_text() -> None:
    line = "connect to postgresql+asyncpg://perpdesk:db-Passw0rd@127.0.0.1:5432/x failed; proxy http://u:p%40ss@h:1"
    out = redact_text(line)
    assert "db-Passw0rd" not in out and "p%40ss" not in out
    assert "postgresql+asyncpg://perpdesk:***@127.0.0.1:5432/x" in out and "http://u:***@h:1" in out
