"""Sign Up (with Google Authenticator enrolment), Sign In, 2FA with email fallback, outbox."""

from __future__ import annotations

import io
import re

import segno
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from perpdesk.sandbox.web.common import (
    WebState,
    current_user,
    form_data,
    mask_email,
    redirect,
    render,
    sign_in_required,
)
from perpdesk.sandbox.web.input_errors import PageError
from perpdesk.sandbox.web.sessions import MAX_2FA_FAILURES, PENDING_2FA_TIMEOUT_S, BrowserSession

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
ENROLMENT_KIND = "web_enrolment"  # users who signed up but have not confirmed Google Authenticator


def _qr_svg(uri: str) -> str:
    out = io.BytesIO()
    # omitsize: a viewBox instead of fixed width/height, so CSS can size it without cropping.
    segno.make(uri, error="m").save(out, kind="svg", xmldecl=False, svgns=True, border=2, omitsize=True)
    return out.getvalue().decode()


def routes(state: WebState) -> list[BaseRoute]:
    state.enrolment_pending.update(uid for uid, _ in state.ctx.persist.load(ENROLMENT_KIND))

    async def home(request: Request) -> Response:
        session, user = await current_user(state, request)
        return render(state, request, "home.html", session=session, user=user)

    async def _signed_in_now(session: BrowserSession, uid: str) -> Response:
        """Both factors passed: a fresh session id (no fixation), then on to where the user was headed."""
        session.pending_uid = None
        session.uid = uid
        session = state.sessions.rotate(session)
        target = session.next_url or "/api-config"
        session.next_url = None
        state.sessions.save(session)
        await state.ctx.persist.flush()  # a signed-in session survives a restart
        return redirect(state, target, session)

    # -- Sign Up ------------------------------------------------------------------------------
    async def sign_up(request: Request) -> Response:
        session = state.sessions.get_or_create(request)
        if request.method == "GET":
            return render(state, request, "sign_up.html", session=session, form={}, errors={})
        form = await form_data(request)
        if not state.sessions.csrf_ok(session, form.get("csrf_token")):
            return render(state, request, "error.html", session=session, status_code=403,
                          message="The form expired. Reload the page and try again.")
        email = form.get("email", "").strip().lower()
        password = form.get("password", "")
        errors: dict[str, str] = {}
        if not _EMAIL.match(email):
            errors["email"] = "Email: enter a valid address, e.g. name@example.com."
        if len(password) < MIN_PASSWORD:
            errors["password"] = f"Password: use at least {MIN_PASSWORD} characters."
        if not errors and await state.backend.user_by_email(email) is not None:
            errors["email"] = "Email: an account with this address exists. Sign In instead."
        if not errors:
            try:
                user = await state.backend.create_user(email, password)
            except PageError as exc:
                errors["email"] = exc.message
        if errors:
            return render(state, request, "sign_up.html", session=session, status_code=400,
                          form={"email": email}, errors=errors)
        state.enrolment_pending.add(user.uid)
        state.ctx.persist.put(ENROLMENT_KIND, user.uid, {})
        session.pending_uid, session.pending_since = user.uid, state.sessions.clock()
        state.sessions.save(session)
        return redirect(state, "/sign-up/authenticator", session)

    async def enrol(request: Request) -> Response:
        session = state.sessions.get(request)
        if session is None or session.pending_uid not in state.enrolment_pending:
            return redirect(state, "/sign-in")
        user = await state.backend.user_by_uid(session.pending_uid)
        if user is None:
            return redirect(state, "/sign-up")
        error = ""
        if request.method == "POST":
            form = await form_data(request)
            if not state.sessions.csrf_ok(session, form.get("csrf_token")):
                error = "The form expired. Reload the page and try again."
            elif state.totp.accept(user.uid, user.totp_secret, form.get("code", "")):
                state.enrolment_pending.discard(user.uid)
                state.ctx.persist.delete(ENROLMENT_KIND, user.uid)
                return await _signed_in_now(session, user.uid)
            else:
                error = ("Google Authenticator code: the code is not correct. Enter the 6-digit code "
                         "your app shows now for this account.")
        uri = f"otpauth://totp/BitMart%20Sandbox:{user.email}?secret={user.totp_secret}&issuer=BitMart%20Sandbox"
        return render(state, request, "enrol_totp.html", session=session, secret=user.totp_secret,
                      qr_svg=_qr_svg(uri), error=error, status_code=400 if error else 200)

    # -- Sign In ------------------------------------------------------------------------------
    async def sign_in(request: Request) -> Response:
        session = state.sessions.get_or_create(request)
        if request.method == "GET":
            if session.uid:
                return redirect(state, session.next_url or "/api-config", session)
            return render(state, request, "sign_in.html", session=session, form={}, error="")
        form = await form_data(request)
        if not state.sessions.csrf_ok(session, form.get("csrf_token")):
            return render(state, request, "sign_in.html", session=session, status_code=403, form={},
                          error="The form expired. Reload the page and try again.")
        email = form.get("email", "").strip().lower()
        by_email, by_ip = "email:" + email, "ip:" + (request.client.host if request.client else "?")
        wait = max(state.sign_in_by_email.wait_s(by_email), state.sign_in_by_ip.wait_s(by_ip))
        if wait > 0:
            minutes = int(wait // 60) + 1
            return render(state, request, "sign_in.html", session=session, status_code=429,
                          form={"email": email},
                          error=f"Too many sign-in attempts. Try again in {minutes} minute(s).")
        # counted before the check (refunded on success): guesses sent at once count one each
        stamps = state.sign_in_by_email.fail(by_email), state.sign_in_by_ip.fail(by_ip)
        user = await state.backend.verify_password(email, form.get("password", ""))
        if user is None:
            # One message for both: do not reveal which addresses have accounts.
            return render(state, request, "sign_in.html", session=session, status_code=400,
                          form={"email": email}, error="Incorrect email or password.")

        state.sign_in_by_email.refund(by_email, stamps[0])
        state.sign_in_by_ip.refund(by_ip, stamps[1])
        session.pending_uid, session.pending_since = user.uid, state.sessions.clock()
        session.second_factor_failures = 0
        state.sessions.save(session)
        if user.uid in state.enrolment_pending:
            return redirect(state, "/sign-up/authenticator", session)
        return redirect(state, "/sign-in/verify", session)

    def _start_again(request: Request, session: BrowserSession, email: str, error: str) -> Response:
        """Too many wrong codes: the pending sign-in ends, so even the right code needs the
        password again."""
        session.pending_uid = None
        state.sessions.save(session)
        return render(state, request, "sign_in.html", session=session, status_code=400,
                      form={"email": email}, error=error)

    async def verify(request: Request) -> Response:
        session = state.sessions.get(request)
        if (session is None or session.pending_uid is None
                or state.sessions.clock() - session.pending_since > PENDING_2FA_TIMEOUT_S):
            return redirect(state, "/sign-in")
        user = await state.backend.user_by_uid(session.pending_uid)
        if user is None:
            return redirect(state, "/sign-in")
        method = request.query_params.get("method", "authenticator")
        if method not in ("authenticator", "email"):
            method = "authenticator"
        error, notice = "", ""
        if request.method == "POST":
            form = await form_data(request)
            method = form.get("method", method)
            if not state.sessions.csrf_ok(session, form.get("csrf_token")):
                error = "The form expired. Reload the page and try again."
            elif form.get("action") == "send":
                method = "email"
                error, notice = await state.email_code(
                    user, "sign-in", "BitMart Sandbox sign-in verification code",
                    "Your sign-in verification code is {code}. It expires in 10 minutes.",
                )
            elif state.sign_in_by_email.wait_s(by_email := "email:" + user.email.lower()) > 0:
                return _start_again(request, session, user.email,
                                    "Too many wrong codes. Wait a few minutes, then Sign In again.")
            else:
                code = form.get("code", "")
                ok = (state.totp.accept(user.uid, user.totp_secret, code) if method == "authenticator"
                      else state.codes.check(user.uid, "sign-in", code))
                if ok:
                    state.sign_in_by_email.clear(by_email)
                    return await _signed_in_now(session, user.uid)
                # a wrong second factor counts like a wrong password (per email, across sessions):
                # knowing the password must not buy unlimited guesses at the code
                state.sign_in_by_email.fail(by_email)
                session.second_factor_failures += 1
                if session.second_factor_failures >= MAX_2FA_FAILURES:
                    return _start_again(request, session, user.email, "Too many wrong codes. Sign In again.")
                state.sessions.save(session)
                field = ("Google Authenticator code" if method == "authenticator"
                         else "Email verification code")
                error = f"{field}: the code is not correct or has expired. Try again."
        return render(state, request, "verify_2fa.html", session=session, method=method, error=error,
                      notice=notice, email=mask_email(user.email), status_code=400 if error else 200)

    async def sign_out(request: Request) -> Response:
        session = state.sessions.get(request)
        if request.method == "POST" and session is not None:
            form = await form_data(request)
            if state.sessions.csrf_ok(session, form.get("csrf_token")):
                state.sessions.destroy(session)
                return state.sessions.clear_cookie(redirect(state, "/"))
        return redirect(state, "/")

    # -- the sandbox's mail catcher --------------------------------------------------------------
    async def outbox(request: Request) -> Response:
        # The sandbox's stand-in for a mailbox: only its owner, signed in, reads it. (Operators
        # read any with the admin API.) Codes for a sign-in in progress are not shown here.
        session, user = await current_user(state, request)
        if session is None or user is None:
            return sign_in_required(state, request, session)
        messages = await state.backend.outbox(user.email)
        return render(state, request, "outbox.html", session=session, user=user,
                      messages=list(reversed(messages)), email=user.email)

    return [
        Route("/", home, methods=["GET"]),
        Route("/sign-up", sign_up, methods=["GET", "POST"]),
        Route("/sign-up/authenticator", enrol, methods=["GET", "POST"]),
        Route("/sign-in", sign_in, methods=["GET", "POST"]),
        Route("/sign-in/verify", verify, methods=["GET", "POST"]),
        Route("/sign-out", sign_out, methods=["GET", "POST"]),
        Route("/outbox", outbox, methods=["GET"]),
    ]
