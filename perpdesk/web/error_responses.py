"""Error responses: JSON for /api, an HTML page otherwise. Never echo submitted values (they may be
secrets): validation errors name the field and the problem only.
The JSON bodies come from the one serializer, error_envelope.py.
"""

from __future__ import annotations

import logging
import secrets

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from perpdesk.core.errors import PerpdeskError
from perpdesk.web.deps import SignInRequired
from perpdesk.web.error_envelope import (
    http_error_body,
    invalid_input_body,
    perpdesk_error_body,
    public_message,
    retry_headers,
    status_of,
    unexpected_body,
    unexpected_message,
)

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


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _signin(request: Request, exc: SignInRequired) -> Response:
        return RedirectResponse(exc.location(), status_code=303)

    @app.exception_handler(PerpdeskError)
    async def _perpdesk(request: Request, exc: PerpdeskError) -> Response:
        status, headers = status_of(exc), retry_headers(exc)
        if _is_api(request):
            return error_json(status, perpdesk_error_body(exc), headers)
        page = _page(request, status, public_message(exc), exc.next_step)
        page.headers.update(headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if _is_api(request):
            return error_json(422, invalid_input_body(exc.errors()))
        error = invalid_input_body(exc.errors())["error"]
        assert isinstance(error, dict)
        return _page(request, 422, str(error["message"]))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if _is_api(request) or headers.get("HX-Redirect"):
            return error_json(exc.status_code, http_error_body(exc.status_code, exc.detail), headers)
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
        if _is_api(request):
            return error_json(500, unexpected_body(ref))
        return _page(
            request, 500, unexpected_message(ref), "Try again; if it keeps happening, report the reference."
        )
