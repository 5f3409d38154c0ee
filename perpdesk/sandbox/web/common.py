"""What every page handler shares: templates, the session store, codes and response helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.web.backend import Backend, UserView
from perpdesk.sandbox.web.guards import Cooldown, Throttle, TotpGuard
from perpdesk.sandbox.web.sessions import BrowserSession, EmailCodes, SessionStore

SANDBOX_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = SANDBOX_DIR / "templates"
STATIC_DIR = SANDBOX_DIR / "static"

# Pages are ours alone: no inline script, no framing (the consent page must not be clickjacked).
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self' http: https:"
    ),
}


@dataclass
class WebState:
    ctx: SandboxContext
    backend: Backend
    sessions: SessionStore
    codes: EmailCodes = field(init=False)
    env: Environment = field(
        default_factory=lambda: Environment(
            loader=FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
        )
    )
    # Users who signed up on the pages and have not yet confirmed their authenticator.
    enrolment_pending: set[str] = field(default_factory=set)
    totp: TotpGuard = field(default_factory=TotpGuard)
    sign_in_by_email: Throttle = field(init=False)
    sign_in_by_ip: Throttle = field(init=False)
    code_sends: Cooldown = field(init=False)

    def __post_init__(self) -> None:
        clock = self.ctx.identity.clock  # codes and lockouts end on the identity side's clock
        self.codes = EmailCodes(clock)
        # password failures: 5 per account in 15 minutes, 30 per address in 5 minutes
        self.sign_in_by_email = Throttle(5, 900.0, clock)
        self.sign_in_by_ip = Throttle(30, 300.0, clock)
        self.code_sends = Cooldown(60.0, clock)

    def send_code_wait_s(self, uid: str, purpose: str) -> int:
        """Seconds before another emailed code may be sent (0: send now, and the clock restarts)."""
        key = f"{uid}:{purpose}"
        wait = self.code_sends.wait_s(key)
        if wait <= 0:
            self.code_sends.mark(key)
        return int(wait + 0.999)

    async def email_code(self, user: UserView, purpose: str, subject: str, text: str) -> tuple[str, str]:
        """Email the user a verification code for `purpose` (`text` has a {code} slot), unless one
        went out too recently: (the error for the code field, the notice)."""
        wait = self.send_code_wait_s(user.uid, purpose)
        if wait:
            return f"Email verification code: wait {wait} s before sending another code.", ""
        code = self.codes.issue(user.uid, purpose)
        await self.backend.send_email(user.email, subject, text.format(code=code))
        return "", f"A verification code was sent to {mask_email(user.email)}."


def render(
    state: WebState,
    request: Request,
    template: str,
    *,
    session: BrowserSession | None = None,
    user: UserView | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    html = state.env.get_template(template).render(
        session=session,
        user=user,
        csrf=session.csrf if session else "",
        path=request.url.path,
        **context,
    )
    response = HTMLResponse(html, status_code=status_code, headers=dict(_SECURITY_HEADERS))
    state.sessions.attach(response, session)
    return response


def redirect(state: WebState, url: str, session: BrowserSession | None = None) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    state.sessions.attach(response, session)
    return response


def safe_next(url: str | None) -> str | None:
    """Only same-site relative paths may be a post-sign-in destination (no open redirect)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not url.startswith("/") or url.startswith("//"):
        return None
    return url


async def current_user(state: WebState, request: Request) -> tuple[BrowserSession | None, UserView | None]:
    session = state.sessions.get(request)
    if session is None or session.uid is None:
        return session, None
    user = await state.backend.user_by_uid(session.uid)
    return session, user


def mask_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:2]}***@{domain}" if domain else "***"


async def form_data(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def sign_in_required(state: WebState, request: Request, session: BrowserSession | None) -> Response:
    session = session or state.sessions.get_or_create(request)
    session.next_url = safe_next(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    state.sessions.save(session)
    return redirect(state, "/sign-in", session)


PageHandler = Callable[[Request, BrowserSession, UserView], Awaitable[Response]]


def signed_in(state: WebState) -> Callable[[PageHandler], Callable[[Request], Awaitable[Response]]]:
    """A page for signed-in users only: others go to Sign In and come back here after."""

    def wrap(handler: PageHandler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            session, user = await current_user(state, request)
            if session is None or user is None:
                return sign_in_required(state, request, session)
            return await handler(request, session, user)

        endpoint.__name__ = handler.__name__
        endpoint.__doc__ = handler.__doc__
        return endpoint

    return wrap
