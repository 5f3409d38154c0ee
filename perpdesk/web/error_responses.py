"""Error responses: JSON for /api, an HTML page otherwise. Never echo submitted values (they may be
secrets): validation errors name the field and the problem only.
The JSON shape is in error_envelope.py.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from perpdesk.core.errors import Conflict, InputError, NotFound, PerpdeskError
from perpdesk.services.errors_text import ConnectRefused
from perpdesk.web.deps import SignInRequired
from perpdesk.web.error_envelope import error_body, public_message

log = logging.getLogger("perpdesk.web")

TITLES = {
    400: "Bad request",
    401: "Sign in required",
    403: "Not allowed",
    404: "Page not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "Check the form",
    429: "Too many attempts",
    500: "Something went wrong",
}


def error_json(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers)


FIELD_LABELS = {"api_key": "API key"}


def perpdesk_error_body(exc: PerpdeskError, **extra: Any) -> dict[str, object]:
    """The envelope of a raised error: an input error names its field in a headline; a refused
    connection carries its headline and steps."""
    if isinstance(exc, ConnectRefused):
        m = exc.user_message
        return error_body(
            m.code, m.message, field=m.field, next_step=m.next_step or None, title=m.title,
            steps=list(m.steps) or None, **extra,
        )
    if isinstance(exc, InputError):
        label = FIELD_LABELS.get(exc.field, exc.field.replace("_", " ").capitalize())
        return error_body(
            exc.code, exc.message.split(": ", 1)[-1], field=exc.field, next_step=exc.next_step or None,
            title=f"Check the {label} field", **extra,
        )
    # e.g. the pending order a duplicate ticket was refused for
    body = error_body(exc.code, public_message(exc), next_step=exc.next_step or None, **extra)
    inner = body["error"]
    assert isinstance(inner, dict)
    inner.update(getattr(exc, "details", {}))
    return body


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


def _page(request: Request, status: int, message: str, next_step: str = "") -> Response:
    from perpdesk.web.templating import render

    try:
        return render(
            request,
            "error.html",
            status,
            status=status,
            title=TITLES.get(status, "Error"),
            message=message,
            next_step=next_step,
        )
    except Exception:  # the error page itself must never fail
        return Response(
            f"{status} {TITLES.get(status, 'Error')}", status_code=status, media_type="text/plain"
        )


def _status_for(exc: PerpdeskError) -> int:
    if isinstance(exc, InputError):
        return 422
    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, ConnectRefused):
        return exc.status
    return 429 if exc.code == "too_many_attempts" else 400


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header", "cookie")]
    return ".".join(parts) or "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _signin(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(exc.location(), status_code=303)

    @app.exception_handler(PerpdeskError)
    async def _perpdesk(request: Request, exc: PerpdeskError) -> Response:
        status = _status_for(exc)
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(int(retry_after))} if retry_after else None
        if _is_api(request):
            return error_json(status, perpdesk_error_body(exc), headers)
        page = _page(request, status, public_message(exc), exc.next_step)
        page.headers.update(headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        if _is_api(request):
            return error_json(
                422,
                error_body(
                    "invalid_input",
                    "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                    field=errors[0]["field"] if errors else None,
                    next_step="Correct the named fields and send again.",
                ),
            )
        return _page(request, 422, "; ".join(f"{e['field']}: {e['message']}" for e in errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if _is_api(request) or headers.get("HX-Redirect"):
            detail: dict[str, Any] = exc.detail if isinstance(exc.detail, dict) else {}
            body = error_body(
                str(detail.get("code") or f"http_{exc.status_code}"),
                str(detail.get("message") or exc.detail),
                field=detail.get("field"),
                next_step=detail.get("next_step"),
            )
            return error_json(exc.status_code, body, headers)
        message = exc.detail["message"] if isinstance(exc.detail, dict) else str(exc.detail)
        if exc.status_code == 404:
            message = "There is no page at this address."
        response = _page(request, exc.status_code, message)
        response.headers.update(headers)
        return response

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        ref = secrets.token_hex(4)
        log.error("unhandled error ref=%s on %s %s", ref, request.method, request.url.path, exc_info=exc)
        message = f"An unexpected error occurred (reference {ref}). It has been logged."
        if _is_api(request):
            return error_json(
                500, error_body("internal_error", message, next_step="Try again; report the reference.")
            )
        return _page(request, 500, message, "Try again; if it keeps happening, report the reference.")
