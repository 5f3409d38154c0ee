"""The one serializer of the API's errors: every JSON error, whatever raised it (a PerpdeskError, a
validation error, an HTTP error, a rate limit, the body cap, the CSRF check, an unexpected
exception), is built here, in the one shape declared in the OpenAPI (`ErrorEnvelope`):

    {"error": {"code": str, "message": str, "field": str | null, "next_step": str | null}}

The connect flows add a headline (`title`) and numbered `steps`; a response about an order puts
the order beside the error: `error_body(..., order={...})` → {"error": {...}, "order": {...}}.
No builder here copies a submitted value into the envelope: messages are our own words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel, Field

from perpdesk.core.errors import Conflict, ExchangeError, InputError, NotFound, PerpdeskError
from perpdesk.services.errors_text import ConnectRefused


class ApiError(BaseModel):
    code: str = Field(description="Stable machine-readable code, e.g. invalid_input, not_found.")
    message: str = Field(description="What went wrong, in plain words. Never a submitted value.")
    field: str | None = Field(None, description="The input field the error is about, if any.")
    next_step: str | None = Field(None, description="What to do about it.")
    title: str | None = Field(None, description="A headline (connect flows).")
    steps: list[str] | None = Field(None, description="Numbered instructions (connect flows).")


class ErrorEnvelope(BaseModel):
    error: ApiError


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorEnvelope, "description": description}


# For routers' `responses=`: the error answers every JSON route may give.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Refused: the exchange or a rule said no (see error.code)."),
    401: _doc("Not signed in."),
    403: _doc("CSRF token missing or wrong."),
    404: _doc("No such thing (or not yours)."),
    409: _doc("Conflicts with what exists (e.g. the key is connected already)."),
    422: _doc("Invalid input: error.field names the field."),
    429: _doc("Too many attempts: error.next_step says how long to wait."),
    500: _doc("Unexpected error; error.message carries a reference to report."),
}


def public_message(exc: PerpdeskError) -> str:
    """What an error says to the user: its own words; for an exchange's refusal, our typed text for
    it (the exchange's raw message may quote back a submitted value)."""
    if isinstance(exc, ExchangeError) and exc.headline:
        return exc.headline
    return exc.message


def error_body(
    code: str,
    message: str,
    *,
    field: str | None = None,
    next_step: str | None = None,
    **extra: object,
) -> dict[str, object]:
    """The envelope as a dict; `extra` keys (title, steps) go inside, except `order` (beside)."""
    order = extra.pop("order", None)
    error: dict[str, object] = {"code": code, "message": message, "field": field, "next_step": next_step}
    error.update({k: v for k, v in extra.items() if v is not None})
    body: dict[str, object] = {"error": error}
    if order is not None:
        body["order"] = order
    return body


def error_json_bytes(body: Mapping[str, object]) -> bytes:
    """The envelope as a response body, for middlewares that answer before any route (ASGI)."""
    return json.dumps(body).encode()


FIELD_LABELS = {"api_key": "API key"}


def perpdesk_error_body(
    exc: PerpdeskError, *, next_step: str | None = None, **extra: Any
) -> dict[str, object]:
    """The envelope of a raised error: an input error names its field in a headline; a refused
    connection carries its headline and steps; `next_step` is the fallback when the error has none;
    facts the error carries beside its message (`details`, e.g. the pending order a duplicate ticket
    was refused for) go inside."""
    if isinstance(exc, ConnectRefused):
        m = exc.user_message
        return error_body(
            m.code, m.message, field=m.field, next_step=m.next_step or next_step, title=m.title,
            steps=list(m.steps) or None, **extra,
        )
    if isinstance(exc, InputError):
        label = FIELD_LABELS.get(exc.field, exc.field.replace("_", " ").capitalize())
        extra.setdefault("title", f"Check the {label} field")
        message = exc.problem
    else:
        message = public_message(exc)
    body = error_body(
        exc.code, message, field=getattr(exc, "field", None), next_step=exc.next_step or next_step, **extra
    )
    inner = body["error"]
    assert isinstance(inner, dict)
    inner.update(exc.details)
    return body


def status_of(exc: PerpdeskError) -> int:
    """The HTTP status a raised error answers with."""
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, ConnectRefused):
        return exc.status
    return 429 if exc.code == "too_many_attempts" else 400


def retry_headers(exc: PerpdeskError) -> dict[str, str] | None:
    """A rate limit's Retry-After (seconds), when the error knows it."""
    retry_after = getattr(exc, "retry_after", None)
    return {"Retry-After": str(int(retry_after))} if retry_after else None


def field_of(loc: Sequence[Any]) -> str:
    """A validation error's location as the field's name (`body`, `query`... left out)."""
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header", "cookie")]
    return ".".join(parts) or "body"


def invalid_input_body(errors: Sequence[Mapping[str, Any]]) -> dict[str, object]:
    """A request that failed validation: each field named with the problem (pydantic's words for
    the rule; the submitted value, which pydantic also reports, is never copied)."""
    found = [(field_of(tuple(e.get("loc", ()))), str(e.get("msg", "invalid"))) for e in errors]
    return error_body(
        "invalid_input",
        "; ".join(f"{f}: {m}" for f, m in found),
        field=found[0][0] if found else None,
        next_step="Correct the named fields and send again.",
    )


# Our words for the HTTP errors the framework raises with only its status phrase as detail.
HTTP_WORDS = {
    404: ("There is no such API route.", "Check the address and method against /api/openapi.json."),
    405: ("This route does not take this method.", "Check the method against /api/openapi.json."),
}


def http_error_body(status: int, detail: object) -> dict[str, object]:
    """An HTTP error (404, 405, the body cap's 413, ...): its detail dict's words, its own text, or
    ours for a bare status."""
    d: Mapping[str, Any] = detail if isinstance(detail, Mapping) else {}
    text = str(d.get("message") or detail)
    message, next_step = HTTP_WORDS.get(status, (text, "Check the request against /api/openapi.json."))
    if text != HTTPStatus(status).phrase:
        message = text
    return error_body(
        str(d.get("code") or f"http_{status}"),
        message,
        field=d.get("field"),
        next_step=d.get("next_step") or next_step,
    )


def unexpected_body(ref: str) -> dict[str, object]:
    return error_body(
        "internal_error", unexpected_message(ref), next_step="Try again; report the reference."
    )


def unexpected_message(ref: str) -> str:
    return f"An unexpected error occurred (reference {ref}). It has been logged."
