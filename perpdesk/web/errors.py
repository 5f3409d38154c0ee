"""Error responses: JSON for /api, an HTML page otherwise. Never echo submitted values (they may be
secrets): validation errors name the field and the problem only."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from perpdesk.core.errors import Conflict, InputError, NotFound, PerpdeskError
from perpdesk.web.deps import SignInRequired

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
    return int(getattr(exc, "http_status_for_api", 0) or (429 if exc.code == "too_many_attempts" else 400))


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
            return JSONResponse(exc.to_dict(), status_code=status, headers=headers)
        page = _page(request, status, exc.message, exc.next_step)
        page.headers.update(headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"field": _field(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
            for e in exc.errors()
        ]
        if _is_api(request):
            return JSONResponse(
                {
                    "code": "invalid_input",
                    "message": "; ".join(f"{e['field']}: {e['message']}" for e in errors),
                    "next_step": "Correct the named fields and send again.",
                    "errors": errors,
                },
                status_code=422,
            )
        return _page(request, 422, "; ".join(f"{e['field']}: {e['message']}" for e in errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        headers = dict(exc.headers or {})
        if _is_api(request) or headers.get("HX-Redirect"):
            detail = (
                exc.detail
                if isinstance(exc.detail, dict)
                else {
                    "code": f"http_{exc.status_code}",
                    "message": str(exc.detail),
                    "next_step": "",
                }
            )
            return JSONResponse(detail, status_code=exc.status_code, headers=headers)
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
            return JSONResponse(
                {
                    "code": "internal_error",
                    "message": message,
                    "next_step": "Try again; report the reference.",
                },
                status_code=500,
            )
        return _page(request, 500, message, "Try again; if it keeps happening, report the reference.")
