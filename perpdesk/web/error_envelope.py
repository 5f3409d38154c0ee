"""The one shape of every JSON error of the API, declared in the OpenAPI (`ErrorEnvelope`):

    {"error": {"code": str, "message": str, "field": str | null, "next_step": str | null}}

The connect flows add a headline (`title`) and numbered `steps`; a response about an order puts
the order beside the error: `error_body(..., order={...})` → {"error": {...}, "order": {...}}.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from perpdesk.core.errors import ExchangeError, PerpdeskError


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
