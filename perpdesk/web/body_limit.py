"""A cap on every request body, before any route reads it: what a user can make the platform hold in
memory per request is bounded (forms and JSON here are a few hundred bytes; nothing is uploaded).
A declared `Content-Length` over the cap is refused at once; a body sent without one (chunked) is
counted as it arrives and refused when it passes the cap.
"""

from __future__ import annotations

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perpdesk.web.error_envelope import error_json_bytes, http_error_body

MAX_BODY_BYTES = 64 * 1024


def _detail(limit: int) -> dict[str, str]:
    return {"code": "body_too_large", "message": f"The request body is larger than {limit // 1024} KiB.",
            "next_step": "Send less: every form and API body here fits in a few KiB."}


class BodyTooLarge(HTTPException):
    """Raised while a body past the cap is read: in a route, the app's error handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, detail=_detail(limit))


def _refusal(limit: int) -> bytes:
    return error_json_bytes(http_error_body(413, _detail(limit)))


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def _refuse(self, send: Send) -> None:
        body = _refusal(self.max_bytes)
        await send({"type": "http.response.start", "status": 413, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except BodyTooLarge:  # read by a middleware (the CSRF check of a form), not a route
            if not started:
                await self._refuse(send)
