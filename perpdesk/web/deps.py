"""FastAPI dependencies other routers use: `current_user`, `optional_user`, `db_session`, `get_services`.

`current_user` answers 401 JSON for /api paths (and htmx calls get an HX-Redirect), and
redirects pages to /signin?next=... . Every query for a user's data takes `user.id`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.bootstrap import Services
from perpdesk.services.users.sessions import token_hash
from perpdesk.store.base import utcnow
from perpdesk.store.repos import SessionRepo, UserRepo

SESSION_COOKIE = "perpdesk_session"
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class CurrentUser:
    id: str
    email: str
    totp_enabled: bool
    session_hash: str  # sha256 of the session cookie: binds things (e.g. OAuth state) to this session


class SignInRequired(Exception):
    """Raised for pages; the app turns it into a redirect to the sign-in page."""

    def __init__(self, next_url: str, *, to: str = "/signin") -> None:
        self.next_url = next_url
        self.to = to

    def location(self) -> str:
        return f"{self.to}?next={quote(self.next_url, safe='/')}"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def db_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request; commit explicitly (`await session.commit()`)."""
    async with get_services(request).sessionmaker() as session:
        yield session


def session_cookie_name(services: Services) -> str:
    # __Host- cookies are bound to the exact origin and path /; browsers require Secure for them.
    return f"__Host-{SESSION_COOKIE}" if services.settings.secure_cookies else SESSION_COOKIE


async def load_session_user(request: Request, *, allow_mfa_pending: bool = False) -> CurrentUser | None:
    services = get_services(request)
    token = request.cookies.get(session_cookie_name(services))
    if not token:
        return None
    settings = services.settings
    id_hash = token_hash(token)
    async with services.sessionmaker() as s:
        sess = await SessionRepo(s).get_live(id_hash, idle=timedelta(hours=settings.session_idle_hours))
        if sess is None:
            await s.commit()  # get_live deletes an expired row
            return None
        if sess.mfa_pending and not allow_mfa_pending:
            return None
        user = await UserRepo(s).by_id(sess.user_id)
        if user is None:
            return None
        now = utcnow()
        if now - sess.last_seen_at > TOUCH_EVERY:
            await SessionRepo(s).touch(id_hash, now)
            await s.commit()
        return CurrentUser(id=user.id, email=user.email, totp_enabled=user.totp_enabled, session_hash=id_hash)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


async def optional_user(request: Request) -> CurrentUser | None:
    user = await load_session_user(request)
    request.state.user = user
    return user


async def current_user(request: Request) -> CurrentUser:
    user = await optional_user(request)
    if user is not None:
        return user
    if _is_api(request):
        raise HTTPException(
            status_code=401,
            detail={
                "code": "not_signed_in",
                "message": "Sign in first.",
                "next_step": "POST /api/auth/signin",
            },
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request"):
        raise HTTPException(status_code=401, headers={"HX-Redirect": SignInRequired(target).location()})
    raise SignInRequired(target)


CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]
OptionalUserDep = Annotated[CurrentUser | None, Depends(optional_user)]
DbSession = Annotated[AsyncSession, Depends(db_session)]
ServicesDep = Annotated[Services, Depends(get_services)]
