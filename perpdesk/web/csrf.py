"""CSRF protection for every state-changing request (POST, PUT, PATCH, DELETE).

A random `perpdesk_csrf` cookie seeds the token; the token is an HMAC of the seed and the session
(perpdesk.web.security: a token from another session is refused). Forms
carry it as the `csrf_token` field, htmx and fetch() send it as the `X-CSRF-Token` header (the
base layout sets `hx-headers` on <body> and a <meta name="csrf-token">). A cross-site page can
neither read the cookie nor compute the HMAC. The Origin header, when sent, must be this site's
own origin, scheme included (the configured public URL, or the scheme and Host of the request);
`Origin: null` (sandboxed frames, data: pages, some redirects) is refused.

Paths in `app.state.csrf_exempt` (prefixes) skip the check, e.g. server-to-server webhooks.
"""

from __future__ import annotations

import secrets
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perpdesk.web.error_envelope import error_body, error_json_bytes
from perpdesk.web.security import csrf_valid

CSRF_COOKIE = "perpdesk_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
MAX_FORM_BYTES = 1 << 20


def _cookies(scope: Scope) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: S112  (a malformed cookie header is treated as absent)
                continue
    return {k: m.value for k, m in jar.items()}


class CSRFMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        secret: bytes,
        secure_cookie: bool,
        exempt: list[str],
        session_cookie: str,
        public_url: str = "",
    ) -> None:
        self.app = app
        self.session_cookie = session_cookie  # tokens are bound to the session in this cookie
        # Behind a reverse proxy Host may be rewritten: the configured public origin is accepted too.
        public = urlsplit(public_url)
        self.public_origin = f"{public.scheme}://{public.netloc}".lower() if public.netloc else ""
        self.secret = secret
        self.secure_cookie = secure_cookie
        self.exempt = exempt  # the same list object as app.state.csrf_exempt: others may append

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        cookies = _cookies(scope)
        seed = cookies.get(CSRF_COOKIE)
        new_seed = None
        if not seed or len(seed) < 20:
            seed = new_seed = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_seed"] = seed

        method = scope["method"]
        path: str = scope["path"]
        if method not in SAFE_METHODS and not any(path.startswith(p) for p in self.exempt):
            session = cookies.get(self.session_cookie)
            problem, receive = await self._check(scope, receive, None if new_seed else seed, session)
            if problem:
                await self._reject(scope, send, problem)
                return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and new_seed:
                headers = MutableHeaders(scope=message)
                cookie = f"{CSRF_COOKIE}={new_seed}; Path=/; HttpOnly; SameSite=Lax"
                if self.secure_cookie:
                    cookie += "; Secure"
                headers.append("set-cookie", cookie)
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    async def _check(
        self, scope: Scope, receive: Receive, seed: str | None, session: str | None
    ) -> tuple[str | None, Receive]:
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        origin = headers.get("origin")
        if origin is not None and not self._own_origin(scope, origin, headers.get("host", "")):
            return "the request came from another site (Origin does not match); reload the page", receive
        if seed is None:
            return "your browser sent no CSRF cookie; reload the page (cookies must be enabled)", receive
        token = headers.get(CSRF_HEADER)
        if token is None:
            ctype = headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                body = b""
                more = True
                while more:
                    message = await receive()
                    body += message.get("body", b"")
                    more = message.get("more_body", False)
                    if len(body) > MAX_FORM_BYTES:
                        return "form too large", receive
                replay = _replayer(body, then=receive)
                try:
                    form = await Request(scope, receive=_replayer(body, then=None)).form()
                except Exception:  # malformed multipart: refuse here rather than answer 500
                    return "the form could not be read; reload the page and submit again", receive
                value = form.get(CSRF_FIELD)
                token = value if isinstance(value, str) else None
                receive = replay
        if not csrf_valid(self.secret, seed, token, session):
            return "missing or wrong CSRF token; reload the page and submit again", receive
        return None, receive

    def _own_origin(self, scope: Scope, origin: str, host: str) -> bool:
        origin = origin.strip().lower()
        if origin == "null" or not origin:
            return False
        request_origin = f"{scope.get('scheme', 'http')}://{host}".lower()
        return origin in (request_origin, self.public_origin)

    async def _reject(self, scope: Scope, send: Send, problem: str) -> None:
        body: bytes
        if scope["path"].startswith("/api") or _wants_json(scope):
            body = error_json_bytes(
                error_body(
                    "csrf_failed",
                    problem,
                    next_step="Fetch a token from GET /api/auth/csrf and send it in the X-CSRF-Token header.",
                )
            )
            ctype = b"application/json"
        else:
            from html import escape

            body = (
                "<!doctype html><title>Form expired</title><main><h1>This form expired</h1>"
                f"<p>{escape(problem)}</p><p><a href='/'>Back to perpdesk</a></p></main>"
            ).encode()
            ctype = b"text/html; charset=utf-8"
        await send({"type": "http.response.start", "status": 403, "headers": [(b"content-type", ctype)]})
        await send({"type": "http.response.body", "body": body})


def _wants_json(scope: Scope) -> bool:
    for k, v in scope.get("headers", []):
        if k == b"accept" and b"application/json" in v and b"text/html" not in v:
            return True
    return False


def _replayer(body: bytes, *, then: Receive | None) -> Receive:
    """Replays a buffered body once, then hands over to the real receive (disconnect events)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        if then is not None:
            return await then()
        return {"type": "http.disconnect"}

    return receive
