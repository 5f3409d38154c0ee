"""JSON API for authentication: /api/auth/* and /api/me. State-changing calls need X-CSRF-Token
(GET /api/auth/csrf returns one and sets its cookie)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field

from perpdesk.core.errors import InputError
from perpdesk.web import auth
from perpdesk.web.deps import CurrentUserDep, ServicesDep
from perpdesk.web.templating import csrf_token

router = APIRouter(prefix="/api", tags=["auth"])


class Credentials(BaseModel):
    email: str = Field(max_length=254, examples=["trader@example.com"])
    password: str = Field(max_length=auth.MAX_PASSWORD, json_schema_extra={"format": "password"})


class TotpCode(BaseModel):
    code: str = Field(max_length=12, examples=["123456"])


class UserOut(BaseModel):
    id: str
    email: str
    totp_enabled: bool


class SignInOut(BaseModel):
    user: UserOut | None
    mfa_required: bool


class CsrfOut(BaseModel):
    csrf_token: str


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/auth/csrf", response_model=CsrfOut)
async def get_csrf(request: Request) -> CsrfOut:
    return CsrfOut(csrf_token=csrf_token(request))


@router.post("/auth/signup", status_code=201, response_model=UserOut)
async def api_signup(
    body: Credentials, request: Request, response: Response, services: ServicesDep
) -> UserOut:
    user = await auth.sign_up(services, body.email, body.password)
    await auth.start_session(services, request, response, user.id, mfa_pending=False)
    return UserOut(id=user.id, email=user.email, totp_enabled=False)


@router.post("/auth/signin", response_model=SignInOut)
async def api_signin(
    body: Credentials, request: Request, response: Response, services: ServicesDep
) -> SignInOut:
    client = request.client.host if request.client else "?"
    user = await auth.authenticate(
        services, request.app.state.signin_throttle, body.email, body.password, client
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
    throttle = request.app.state.signin_throttle
    throttle.check(f"mfa:{user_id}")
    if not await auth.verify_totp(services, user_id, body.code):
        throttle.fail(f"mfa:{user_id}")
        raise InputError("code", "does not match", "Enter the code your authenticator app shows now.")
    await auth.start_session(services, request, response, user_id, mfa_pending=False)
    from perpdesk.store.repos import UserRepo

    async with services.sessionmaker() as s:
        user = await UserRepo(s).by_id(user_id)
    assert user is not None
    return UserOut(id=user.id, email=user.email, totp_enabled=user.totp_enabled)


@router.post("/auth/signout", status_code=204)
async def api_signout(request: Request, response: Response, services: ServicesDep) -> Response:
    await auth.end_session(services, request, response)
    response.status_code = 204
    return response


@router.get("/me", response_model=UserOut)
async def me(user: CurrentUserDep) -> UserOut:
    return UserOut(id=user.id, email=user.email, totp_enabled=user.totp_enabled)
