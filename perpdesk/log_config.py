"""Structured logs (one JSON object per line) with secret redaction.

Redaction runs in a logging.Filter on the handler, so it covers every logger (ours, uvicorn's
access log, libraries'): values of secret-looking keys in `extra=` become "***", and
`key=value` / `"key": "value"` pairs and secret query parameters inside messages are masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

SECRET_KEY_RE = re.compile(
    r"(secret|passw|passphrase|memo|token|cookie|authorization|session|x-bm-sign|signature|api_?key|"
    r"master_?key|otp|code_verifier|^code$)",
    re.IGNORECASE,
)
# key=value, key: value, "key": "value" inside free text (and query strings).
_INLINE_RE = re.compile(
    r"""(?P<key>\b(?:[\w-]*(?:secret|password|passphrase|memo|token|code_verifier|x-bm-sign|signature|
    api_key|master_key|totp|otp_code)[\w-]*|code|state))(?P<sep>["']?\s*[:=]\s*["']?)(?P<val>[^\s,&"'}]+)""",
    re.IGNORECASE | re.VERBOSE,
)
# scheme://user:password@host: the password part (database, proxy and broker URLs carry one).
_URL_PASSWORD_RE = re.compile(r"""(?P<head>\b[a-z][a-z0-9+.-]*://[^\s/:@'"]*:)[^\s/@'"]*@""", re.IGNORECASE)
_STD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
MASK = "***"


def hide_url_password(text: str) -> str:
    """Mask the password of every user:password@ URL in `text` (user and host stay readable)."""
    return _URL_PASSWORD_RE.sub(lambda m: f"{m.group('head')}{MASK}@", text)


def redact_text(text: str) -> str:
    text = hide_url_password(text)
    return _INLINE_RE.sub(lambda m: f"{m.group('key')}{m.group('sep')}{MASK}", text)


def redact_value(key: str, value: Any) -> Any:
    if SECRET_KEY_RE.search(key):
        return MASK
    if isinstance(value, dict):
        return {k: redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(key, v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the log line
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _STD_ATTRS:
                setattr(record, key, redact_value(key, value))
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now so its text can be redacted too.
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STD_ATTRS and not key.startswith("_"):
                doc[key] = value
        if record.exc_text:
            doc["exc"] = record.exc_text
        return json.dumps(doc, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")


def configure_logging(level: str = "INFO", *, json_lines: bool = True, stream: Any = None) -> logging.Handler:
    """Route every logger through one redacting handler. Idempotent."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_perpdesk", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._perpdesk = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        lg = logging.getLogger(name)
        lg.handlers.clear()
        lg.propagate = True
        lg.disabled = False  # an earlier dictConfig (uvicorn's default) may have disabled it
        lg.setLevel(logging.NOTSET)  # the root level decides
    for name in ("alembic", "httpx", "httpcore"):  # chatty at INFO; their warnings still show
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler
