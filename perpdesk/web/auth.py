"""The web side of signing in: session and known-device cookies, the client address, the rate
limits kept on the app. The use cases themselves live in perpdesk.services.users."""

from __future__ import annotations

from fastapi import Request, Response

from perpdesk.bootstrap import Services
from perpdesk.services.users import sessions, throttle
from perpdesk.services.users.signin import user_by_id
from perpdesk.services.users.throttle import DEVICE_COOKIE, Limits, device_for, device_token
from perpdesk.web.deps import CurrentUser, CurrentUserDep, session_cookie_name

DEVICE_MAX_AGE = 400 * 24 * 3600  # browsers cap cookie lifetimes at 400 days


def limits(request: Request) -> Limits:
    found: Limits = request.app.state.auth_limits
    return found


async def settings_write(request: Request, user_id: str) -> None:
    """Count one settings write of the user, refused (429) past the rule."""
    await limits(request).spend("settings changes", "settings_user", user_id)


def client(request: Request) -> str:
    return request.client.host if request.client else "?"


def device_cookie(request: Request) -> str | None:
    return request.cookies.get(DEVICE_COOKIE)


async def start_session(
    services: Services, request: Request, response: Response, user_id: str, *, mfa_pending: bool
) -> None:
    """A new session in an HttpOnly, SameSite=Lax cookie; a full sign-in also marks this browser
    as a known device of the user (it keeps signing in while others are throttled)."""
    token = await sessions.open_session(
        services,
        user_id,
        mfa_pending=mfa_pending,
        user_agent=request.headers.get("user-agent"),
        replaces=request.cookies.get(session_cookie_name(services)),
        browser_seed=request.scope.get("state", {}).get("csrf_seed", ""),
    )
    secure = services.settings.secure_cookies
    ttl = sessions.session_ttl(services)
    response.set_cookie(
        session_cookie_name(services),
        token,
        max_age=int(ttl.total_seconds()),
        path="/",
        httponly=True,
        secure=secure,
        samesite="lax",
    )
    if not mfa_pending:
        await remember_device(services, request, response, user_id)


async def _password_hash(services: Services, user_id: str) -> str:
    user = await user_by_id(services, user_id)
    return user.password_hash if user is not None else ""


async def remember_device(services: Services, request: Request, response: Response, user_id: str) -> None:
    """Mark this browser a known device of the user under the current password (after a full
    sign-in, or the password change it made) unless it already is one."""
    password_hash = await _password_hash(services, user_id)
    if device_for(services.session_secret, user_id, password_hash, device_cookie(request)) is not None:
        return
    response.set_cookie(
        DEVICE_COOKIE,
        device_token(services.session_secret, user_id, password_hash),
        max_age=DEVICE_MAX_AGE,
        path="/",
        httponly=True,
        secure=services.settings.secure_cookies,
        samesite="lax",
    )


async def end_session(services: Services, request: Request, response: Response) -> None:
    cookie = session_cookie_name(services)
    token = request.cookies.get(cookie)
    if token:
        await sessions.close_session(services, token)
    response.delete_cookie(
        cookie, path="/", secure=services.settings.secure_cookies, httponly=True, samesite="lax"
    )


async def pending_mfa_user_id(services: Services, request: Request) -> str | None:
    return await sessions.pending_mfa_user_id(services, request.cookies.get(session_cookie_name(services)))


async def signin_code_rules(
    services: Services, request: Request, user_id: str
) -> tuple[tuple[str, ...], ...]:
    password_hash = await _password_hash(services, user_id)
    device = device_for(services.session_secret, user_id, password_hash, device_cookie(request))
    return throttle.signin_code_rules(user_id, client=client(request), device=device)


async def throttle_key_inspection(request: Request, user: CurrentUserDep) -> CurrentUser:
    """Dependency of the routes that test a key against the exchange: a budget per user."""
    await limits(request).spend("key checks", "inspect_user", user.id)
    return user
