"""JSON API for authentication: /api/auth/* and /api/me. State-changing calls need X-CSRF-Token
(GET /api/auth/csrf returns one and sets its cookie)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from perpdesk.core.errors import InputError
from perpdesk.services.users import passwords_change, signin, signup_mail, totp
from perpdesk.services.users.mail import mail_configured
from perpdesk.services.users.passwords import MAX_PASSWORD
from perpdesk.services.users.signin import user_by_id
from perpdesk.web import auth
from perpdesk.web.deps import CurrentUserDep, ServicesDep
from perpdesk.web.templating import csrf_token

router = APIRouter(prefix="/api", tags=["auth"])

Password = Field(max_length=MAX_PASSWORD, json_schema_extra={"format": "password"})


class Credentials(BaseModel):
    email: str = Field(max_length=254, examples=["trader@example.com"])
    password: str = Password


class TotpCode(BaseModel):
    code: str = Field(max_length=12, examples=["123456"])


class PasswordChange(BaseModel):
    current_password: str = Password
    new_password: str = Password


class ResetRequest(BaseModel):
    email: str = Field(max_length=254, examples=["trader@example.com"])


class ResetIn(BaseModel):
    token: str = Field(max_length=128, description="From the emailed link.")
    new_password: str = Password


class UserOut(BaseModel):
    id: str
    email: str
    totp_enabled: bool


class SignInOut(BaseModel):
    user: UserOut | None
    mfa_required: bool


class CsrfOut(BaseModel):
    csrf_token: str


class ResetRequested(BaseModel):
    message: str


class HealthOut(BaseModel):
    status: Literal["ok"] = Field(description="The platform answers requests.")


@router.get("/health", response_model=HealthOut)
async def health() -> HealthOut:
    return HealthOut(status="ok")


@router.get("/auth/csrf", response_model=CsrfOut)
async def get_csrf(request: Request) -> CsrfOut:
    return CsrfOut(csrf_token=csrf_token(request))


class SignUpPending(BaseModel):
    message: str


class SignUpLink(BaseModel):
    token: str = Field(max_length=2048, description="From the emailed sign-up link.")


@router.post(
    "/auth/signup",
    status_code=201,
    response_model=UserOut | SignUpPending,
    responses={202: {"model": SignUpPending, "description": "Email configured: a link was mailed."}},
)
async def api_signup(
    body: Credentials, request: Request, response: Response, services: ServicesDep
) -> UserOut | SignUpPending:
    """With email configured: 202 "check your email" whether or not the address has an account
    (a link to finish, or a note to the owner, is mailed). Without: 201, signed in."""
    limits = auth.limits(request)
    await limits.spend("sign-ups", "signup_client", auth.client(request))
    if mail_configured(services.settings):
        await signup_mail.request_sign_up(services, limits, body.email, body.password)
        response.status_code = 202
        return SignUpPending(message=signup_mail.CHECK_EMAIL)
    user = await signin.sign_up(services, body.email, body.password)
    await auth.start_session(services, request, response, user.id, mfa_pending=False)
    return UserOut(id=user.id, email=user.email, totp_enabled=False)


@router.post("/auth/signup/confirm", status_code=201, response_model=UserOut)
async def api_signup_confirm(
    body: SignUpLink, request: Request, response: Response, services: ServicesDep
) -> UserOut:
    """Finish a sign-up with the emailed link's token: the account is made and signed in."""
    user = await signup_mail.confirm_sign_up(services, body.token)
    await auth.start_session(services, request, response, user.id, mfa_pending=False)
    return UserOut(id=user.id, email=user.email, totp_enabled=False)


@router.post("/auth/signin", response_model=SignInOut)
async def api_signin(
    body: Credentials, request: Request, response: Response, services: ServicesDep
) -> SignInOut:
    user = await signin.authenticate(
        services,
        auth.limits(request),
        body.email,
        body.password,
        client=auth.client(request),
        device=auth.device_cookie(request),
    )
    await auth.start_session(services, request, response, user.id, mfa_pending=user.totp_enabled)
    if user.totp_enabled:
        return SignInOut(user=None, mfa_required=True)
    return SignInOut(user=UserOut(id=user.id, email=user.email, totp_enabled=False), mfa_required=False)


@router.post("/auth/signin/2fa", response_model=UserOut)
async def api_signin_2fa(
    body: TotpCode, request: Request, response: Response, services: ServicesDep
) -> UserOut:
    user_id = await auth.pending_mfa_user_id(services, request)
    if user_id is None:
        raise InputError("session", "no sign-in is waiting for a code", "POST /api/auth/signin first.")
    rules = await auth.signin_code_rules(services, request, user_id)
    await totp.check_code(services, auth.limits(request), user_id, body.code, rules=rules)
    await auth.start_session(services, request, response, user_id, mfa_pending=False)
    user = await user_by_id(services, user_id)
    assert user is not None
    return UserOut(id=user.id, email=user.email, totp_enabled=user.totp_enabled)


@router.post("/auth/password", status_code=204)
async def api_change_password(
    body: PasswordChange, request: Request, user: CurrentUserDep, services: ServicesDep
) -> Response:
    """Change the password; every other session of the user ends."""
    await passwords_change.change_password(
        services,
        auth.limits(request),
        user.id,
        user.email,
        body.current_password,
        body.new_password,
        keep_session_hash=user.session_hash,
    )
    response = Response(status_code=204)
    await auth.remember_device(services, request, response, user.id)  # the old allowance ended
    return response


@router.post("/auth/password/forgot", status_code=202, response_model=ResetRequested)
async def api_forgot_password(body: ResetRequest, request: Request, services: ServicesDep) -> ResetRequested:
    """Email a reset link if the address has an account (the answer is the same either way)."""
    await passwords_change.request_reset(
        services, auth.limits(request), body.email, client=auth.client(request)
    )
    return ResetRequested(message=FORGOT_SENT)


@router.post("/auth/password/reset", status_code=204)
async def api_reset_password(body: ResetIn, services: ServicesDep) -> Response:
    """Set a new password with the emailed token; every session of the user ends."""
    await passwords_change.reset_password(services, body.token, body.new_password)
    return Response(status_code=204)


FORGOT_SENT = "If an account uses this email, a reset link is on its way; it works once, for a short while."


@router.post("/auth/signout", status_code=204)
async def api_signout(request: Request, response: Response, services: ServicesDep) -> Response:
    await auth.end_session(services, request, response)
    response.status_code = 204
    return response


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUserDep) -> UserOut:
    return UserOut(id=user.id, email=user.email, totp_enabled=user.totp_enabled)
