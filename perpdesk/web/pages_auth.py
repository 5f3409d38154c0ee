"""HTML pages: sign-up, sign-in (+ 2FA step), sign-out, home, profile with TOTP enrolment."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from perpdesk.bootstrap import Services
from perpdesk.core.errors import InputError, PerpdeskError
from perpdesk.services.users import passwords_change, sessions, signin, signup_mail, totp
from perpdesk.services.users.mail import mail_configured
from perpdesk.services.users.throttle import TooManyAttempts
from perpdesk.web import auth
from perpdesk.web.deps import CurrentUser, CurrentUserDep, OptionalUserDep, ServicesDep
from perpdesk.web.templating import render

router = APIRouter(include_in_schema=False)

FormStr = Annotated[str, Form()]
OptFormStr = Annotated[str, Form()]


def safe_next(value: str | None, default: str = "/") -> str:
    """Only same-site paths: '/x' yes, '//evil.example' and 'https://…' no."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


async def _start_session_to(
    services: Services, request: Request, target: str, user_id: str, *, mfa_pending: bool = False
) -> Response:
    """Redirect to `target` with a new session cookie (a 2FA-pending one when mfa_pending)."""
    response = _see_other(target)
    await auth.start_session(services, request, response, user_id, mfa_pending=mfa_pending)
    return response


def _signed_out_form(request: Request, user: CurrentUser | None, next: str, template: str) -> Response:
    """Sign-in and sign-up pages: someone already signed in goes on to where they were headed."""
    if user is not None:
        return _see_other(safe_next(next))
    return render(request, template, next=safe_next(next), email="")


FIELD_LABELS = {
    "password_confirm": "Repeated password",
    "code": "The code",
    "email": "Email",
    "password": "Password",
    "current_password": "Current password",
    "new_password": "New password",
    "new_password_confirm": "Repeated new password",
    "token": "The link",
}


def _error_ctx(exc: PerpdeskError) -> dict[str, Any]:
    """Template context for a form error: which field is invalid and one readable sentence."""
    field = getattr(exc, "field", None) or "form"
    message = exc.message
    if field != "form" and message.startswith(f"{field}: "):
        problem = message.removeprefix(f"{field}: ")
        message = f"{FIELD_LABELS.get(field, field.replace('_', ' ').capitalize())} {problem}."
    return {"errors": {field: message}, "error_message": message, "error_next": exc.next_step}


def _status(exc: PerpdeskError) -> int:
    return 429 if isinstance(exc, TooManyAttempts) else 400


def _same_twice(password: str, repeated: str, field: str, what: str) -> None:
    if password != repeated:
        raise InputError(field, f"does not match the {what}", "Type the same password twice.")


@router.get("/signin")
async def signin_page(request: Request, user: OptionalUserDep, next: str = "/") -> Response:
    return _signed_out_form(request, user, next, "signin.html")


@router.post("/signin")
async def signin_submit(
    request: Request, services: ServicesDep, email: FormStr = "", password: FormStr = "", next: FormStr = "/"
) -> Response:
    target = safe_next(next)
    try:
        user = await signin.authenticate(
            services,
            auth.limits(request),
            email,
            password,
            client=auth.client(request),
            device=auth.device_cookie(request),
        )
    except PerpdeskError as exc:
        return render(request, "signin.html", _status(exc), next=target, email=email, **_error_ctx(exc))
    if user.totp_enabled:
        mfa_url = f"/signin/2fa?next={quote(target, safe='/')}"
        return await _start_session_to(services, request, mfa_url, user.id, mfa_pending=True)
    return await _start_session_to(services, request, target, user.id)


@router.get("/signin/2fa")
async def signin_2fa_page(request: Request, services: ServicesDep, next: str = "/") -> Response:
    if await auth.pending_mfa_user_id(services, request) is None:
        return _see_other("/signin")
    return render(request, "signin_2fa.html", next=safe_next(next))


@router.post("/signin/2fa")
async def signin_2fa_submit(
    request: Request, services: ServicesDep, code: FormStr = "", next: FormStr = "/"
) -> Response:
    target = safe_next(next)
    user_id = await auth.pending_mfa_user_id(services, request)
    if user_id is None:
        return _see_other("/signin")
    try:
        rules = await auth.signin_code_rules(services, request, user_id)
        await totp.check_code(services, auth.limits(request), user_id, code, rules=rules)
    except PerpdeskError as exc:
        return render(request, "signin_2fa.html", _status(exc), next=target, **_error_ctx(exc))
    return await _start_session_to(services, request, target, user_id)


@router.get("/signup")
async def signup_page(request: Request, user: OptionalUserDep, next: str = "/") -> Response:
    return _signed_out_form(request, user, next, "signup.html")


@router.post("/signup")
async def signup_submit(
    request: Request,
    services: ServicesDep,
    email: FormStr = "",
    password: FormStr = "",
    password_confirm: FormStr = "",
    next: FormStr = "/",
) -> Response:
    target = safe_next(next)
    mailed = mail_configured(services.settings)
    try:
        _same_twice(password, password_confirm, "password_confirm", "password")
        limits = auth.limits(request)
        await limits.spend("sign-ups", "signup_client", auth.client(request))
        if mailed:  # the same page whether or not the email has an account
            await signup_mail.request_sign_up(services, limits, email, password)
        else:
            user = await signin.sign_up(services, email, password)
    except PerpdeskError as exc:
        return render(request, "signup.html", _status(exc), next=target, email=email, **_error_ctx(exc))
    if mailed:
        return render(request, "signup.html", next="/", email="", sent=signup_mail.CHECK_EMAIL)
    return await _start_session_to(services, request, target, user.id)


@router.get(signup_mail.CONFIRM_PATH)
async def signup_confirm_page(request: Request, token: str = "") -> Response:
    return render(request, "signup_confirm.html", token=token[:2048])


@router.post(signup_mail.CONFIRM_PATH)
async def signup_confirm_submit(request: Request, services: ServicesDep, token: FormStr = "") -> Response:
    try:
        user = await signup_mail.confirm_sign_up(services, token[:2048])
    except PerpdeskError as exc:
        return render(request, "signup_confirm.html", _status(exc), token="", **_error_ctx(exc))
    return await _start_session_to(services, request, "/", user.id)


@router.post("/profile/signout-others")
async def signout_others(request: Request, user: CurrentUserDep, services: ServicesDep) -> Response:
    """End every other session of this user (other browsers, other devices)."""
    count = await sessions.close_other_sessions(services, user.id, keep_hash=user.session_hash)
    return _see_other(f"/profile?signed_out_others={count}")


@router.post("/signout")
async def signout(request: Request, services: ServicesDep) -> Response:
    response = _see_other("/signin?signed_out=1")
    await auth.end_session(services, request, response)
    return response


# --- profile and 2FA -----------------------------------------------------------------------


def _qr(uri: str) -> str:
    import segno  # only the 2FA enrolment needs it: kept off the start-up path

    return segno.make(uri, error="m").svg_data_uri(scale=4, border=2)


async def _pending_totp_ctx(services: Services, user: CurrentUser) -> dict[str, Any]:
    """The enrolment in progress (seed and QR code), if there is one."""
    pending = await totp.pending_enrolment(services, user.id, user.email)
    return {"totp_seed": pending[0], "totp_qr": _qr(pending[1])} if pending else {}


@router.get("/profile")
async def profile(request: Request, user: CurrentUserDep, services: ServicesDep) -> Response:
    ctx = {} if user.totp_enabled else await _pending_totp_ctx(services, user)
    return render(request, "profile.html", **ctx)


@router.post("/profile/2fa/start")
async def totp_start(request: Request, user: CurrentUserDep, services: ServicesDep) -> Response:
    if user.totp_enabled:
        return _see_other("/profile")
    seed, uri = await totp.begin_enrolment(services, user.id, user.email)
    return render(request, "profile.html", totp_seed=seed, totp_qr=_qr(uri))


@router.post("/profile/2fa/confirm")
async def totp_confirm(
    request: Request, user: CurrentUserDep, services: ServicesDep, code: FormStr = ""
) -> Response:
    try:
        await totp.confirm_enrolment(services, auth.limits(request), user.id, code)
    except PerpdeskError as exc:
        extra = await _pending_totp_ctx(services, user)
        return render(request, "profile.html", _status(exc), **extra, **_error_ctx(exc))
    return _see_other("/profile?totp=enabled")


@router.post("/profile/2fa/disable")
async def totp_disable(
    request: Request, user: CurrentUserDep, services: ServicesDep, code: FormStr = ""
) -> Response:
    try:
        await totp.disable(services, auth.limits(request), user.id, code)
    except PerpdeskError as exc:
        return render(request, "profile.html", _status(exc), **_error_ctx(exc))
    return _see_other("/profile?totp=disabled")


# --- passwords -------------------------------------------------------------------------------


@router.post("/profile/password")
async def password_change(
    request: Request,
    user: CurrentUserDep,
    services: ServicesDep,
    current_password: FormStr = "",
    new_password: FormStr = "",
    new_password_confirm: FormStr = "",
) -> Response:
    try:
        _same_twice(new_password, new_password_confirm, "new_password_confirm", "new password")
        await passwords_change.change_password(
            services,
            auth.limits(request),
            user.id,
            user.email,
            current_password,
            new_password,
            keep_session_hash=user.session_hash,
        )
    except PerpdeskError as exc:
        ctx = {} if user.totp_enabled else await _pending_totp_ctx(services, user)
        return render(request, "profile.html", _status(exc), **ctx, **_error_ctx(exc))
    response = _see_other("/profile?password=changed")
    await auth.remember_device(services, request, response, user.id)  # the old allowance ended
    return response


@router.get("/password/forgot")
async def forgot_page(request: Request) -> Response:
    return render(request, "password_forgot.html", email="")


@router.post("/password/forgot")
async def forgot_submit(request: Request, services: ServicesDep, email: FormStr = "") -> Response:
    try:
        await passwords_change.request_reset(
            services, auth.limits(request), email, client=auth.client(request)
        )
    except PerpdeskError as exc:
        return render(request, "password_forgot.html", _status(exc), email=email, **_error_ctx(exc))
    return render(request, "password_forgot.html", email="", sent=True)


@router.get(passwords_change.RESET_PATH)
async def reset_page(request: Request, services: ServicesDep, token: str = "") -> Response:
    valid = await passwords_change.reset_user(services, token[:128]) is not None
    return render(request, "password_reset.html", 200 if valid else 400, token=token[:128], valid=valid)


@router.post(passwords_change.RESET_PATH)
async def reset_submit(
    request: Request,
    services: ServicesDep,
    token: FormStr = "",
    new_password: FormStr = "",
    new_password_confirm: FormStr = "",
) -> Response:
    try:
        _same_twice(new_password, new_password_confirm, "new_password_confirm", "new password")
        await passwords_change.reset_password(services, token[:128], new_password)
    except PerpdeskError as exc:
        valid = await passwords_change.reset_user(services, token[:128]) is not None
        return render(
            request, "password_reset.html", _status(exc), token=token[:128], valid=valid, **_error_ctx(exc)
        )
    response = _see_other("/signin?reset=1")
    await auth.end_session(services, request, response)
    return response
