"""FastAPI dependencies other routers use: `current_user`, `optional_user`, `get_services`.

`current_user` answers 401 JSON for /api paths (and htmx calls get an HX-Redirect), and
redirects pages to /signin?next=... . Every query for a user's data takes `user.id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request

from perpdesk.bootstrap import Services
from perpdesk.services.users.sessions import signed_in_user

SESSION_COOKIE = "perpdesk_session"


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


def session_cookie_name(services: Services) -> str:
    # __Host- cookies are bound to the exact origin and path /; browsers require Secure for them.
    return f"__Host-{SESSION_COOKIE}" if services.settings.secure_cookies else SESSION_COOKIE


async def load_session_user(request: Request, *, allow_mfa_pending: bool = False) -> CurrentUser | None:
    services = get_services(request)
    token = request.cookies.get(session_cookie_name(services))
    if not token:
        return None
    found = await signed_in_user(services, token, allow_mfa_pending=allow_mfa_pending)
    if found is None:
        return None
    user, sess = found
    return CurrentUser(
        id=user.id, email=user.email, totp_enabled=user.totp_enabled, session_hash=sess.id_hash
    )


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
ServicesDep = Annotated[Services, Depends(get_services)]
