"""API Management: create (Memo, permissions, IP whitelist, email + 2FA codes), list, edit, delete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from perpdesk.sandbox.identity import IdentityError, validate_memo
from perpdesk.sandbox.web.backend import UserView
from perpdesk.sandbox.web.common import (
    WebState,
    form_data,
    mask_email,
    redirect,
    render,
    signed_in,
)
from perpdesk.sandbox.web.input_errors import InputError, PageError
from perpdesk.sandbox.web.ipwhitelist import parse_ip_list
from perpdesk.sandbox.web.key_pages import delete_handler, keys_page, own_key
from perpdesk.sandbox.web.sessions import BrowserSession

TOTP_WRONG = "Google Authenticator code: not correct. Enter the current 6-digit code."
TOGGLES = (("spot_trade", "Spot-Trade"), ("future_trade", "Future-Trade"), ("withdraw", "Withdraw"))


def _permissions(form: dict[str, str]) -> set[str]:
    return {"read"} | {name for name, _ in TOGGLES if form.get(name) in ("on", "1", "true")}


def _validate_create(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """Returns (draft, errors); the draft keeps what the user typed so nothing is lost."""
    errors: dict[str, str] = {}
    memo = form.get("memo", "").strip()
    try:
        validate_memo(memo)
    except IdentityError as exc:
        errors["memo"] = f"Memo: {exc.message}."
    draft = {"memo": memo, "ip_whitelist": form.get("ip_whitelist", "")}
    for name, _ in TOGGLES:
        draft[name] = "on" if form.get(name) in ("on", "1", "true") else ""
    try:
        draft["ips"] = ",".join(parse_ip_list(draft["ip_whitelist"]))
    except InputError as exc:
        errors["ip_whitelist"] = f"{exc.message}. {exc.next_step}"
    return draft, errors


def routes(state: WebState) -> list[BaseRoute]:
    async def _page(request: Request, session: BrowserSession, user: UserView, **extra: object) -> Response:
        return await keys_page(state, request, session, user, "api_management.html", "bitmart",
                               toggles=TOGGLES, **extra)

    @signed_in(state)
    async def management(request: Request, session: BrowserSession, user: UserView) -> Response:
        return await _page(request, session, user)

    @signed_in(state)
    async def create(request: Request, session: BrowserSession, user: UserView) -> Response:
        """First Submit: validate the form, then ask for the email and authenticator codes."""
        form = await form_data(request)
        if not state.sessions.csrf_ok(session, form.get("csrf_token")):
            return render(state, request, "error.html", session=session, user=user, status_code=403,
                          message="The form expired. Reload the page and try again.")
        draft, errors = _validate_create(form)
        if errors:
            return await _page(request, session, user, form=draft, errors=errors)
        session.drafts["create_key"] = draft
        state.sessions.save(session)
        return render(state, request, "api_verify.html", session=session, user=user, draft=draft,
                      toggles=TOGGLES, email=mask_email(user.email), errors={}, notice="", form={})

    @signed_in(state)
    async def create_verify(request: Request, session: BrowserSession, user: UserView) -> Response:
        """Send (email code) or Submit (both codes) on the verification step; Submit creates the key."""
        form = await form_data(request)
        draft = session.drafts.get("create_key")
        if not state.sessions.csrf_ok(session, form.get("csrf_token")) or not draft:
            return redirect(state, "/api-config", session)
        errors: dict[str, str] = {}
        notice = ""
        if form.get("action") == "send":
            error, notice = await state.email_code(
                user, "create-key", "BitMart Sandbox API key verification code",
                "Your verification code to create an API key is {code}. It expires in 10 minutes.",
            )
            if error:
                errors["email_code"] = error
        else:
            email_code = form.get("email_code", "").strip()
            totp_code = form.get("totp_code", "").strip()
            if not email_code:
                errors["email_code"] = "Email verification code: required. Press Send, then enter the code."
            elif not state.codes.check(user.uid, "create-key", email_code):
                errors["email_code"] = ("Email verification code: not correct or expired. "
                                        "Press Send for a new code.")
            # the authenticator code is spent only when everything else is right
            if not errors and not state.totp.accept(user.uid, user.totp_secret, totp_code):
                errors["totp_code"] = TOTP_WRONG
            if not errors:
                ips = [ip for ip in draft["ips"].split(",") if ip]
                try:
                    key, secret = await state.backend.create_key(
                        user.uid, draft["memo"], _permissions(draft), ips, label=draft["memo"]
                    )
                except PageError as exc:
                    field = getattr(exc, "field", "memo")
                    return await _page(request, session, user, form=draft,
                                       errors={"memo" if field.lower() == "memo" else "ip_whitelist":
                                               f"{exc.message}. {exc.next_step}".strip()})
                session.drafts.pop("create_key", None)
                state.sessions.save(session)
                # Rendered straight from the POST (never a GET page): the secret is shown this once.
                return render(state, request, "api_created.html", session=session, user=user,
                              key=key, secret=secret)
        return render(state, request, "api_verify.html", session=session, user=user, draft=draft,
                      toggles=TOGGLES, email=mask_email(user.email), errors=errors, notice=notice,
                      form={"email_code": form.get("email_code", "")},
                      status_code=400 if errors else 200)

    @signed_in(state)
    async def edit(request: Request, session: BrowserSession, user: UserView) -> Response:
        key = await own_key(state, request, user, "bitmart")
        if key is None:
            return render(state, request, "error.html", session=session, user=user, status_code=404,
                          message="This API key does not exist or was deleted.")
        if request.method == "GET":
            form = {name: "on" if name in key.permissions else "" for name, _ in TOGGLES}
            form["ip_whitelist"] = "\n".join(key.ip_whitelist)
            return render(state, request, "api_edit.html", session=session, user=user, key=key,
                          toggles=TOGGLES, form=form, errors={})
        data = await form_data(request)
        if not state.sessions.csrf_ok(session, data.get("csrf_token")):
            return redirect(state, "/api-config", session)
        errors: dict[str, str] = {}
        form = {name: "on" if data.get(name) in ("on", "1", "true") else "" for name, _ in TOGGLES}
        form["ip_whitelist"] = data.get("ip_whitelist", "")
        ips: list[str] = []
        try:
            ips = parse_ip_list(form["ip_whitelist"])
        except InputError as exc:
            errors["ip_whitelist"] = f"{exc.message}. {exc.next_step}"
        if not errors and not state.totp.accept(user.uid, user.totp_secret, data.get("totp_code", "")):
            errors["totp_code"] = TOTP_WRONG
        if not errors:
            try:
                await state.backend.update_key(key.api_key, _permissions(form), ips)
            except PageError as exc:
                errors["ip_whitelist"] = f"{exc.message}. {exc.next_step}".strip()
        if errors:
            return render(state, request, "api_edit.html", session=session, user=user, key=key,
                          toggles=TOGGLES, form=form, errors=errors, status_code=400)
        return redirect(state, "/api-config?updated=" + key.api_key[-6:], session)

    return [
        Route("/api-config", management, methods=["GET"]),
        Route("/api-config/create", create, methods=["POST"]),
        Route("/api-config/create/verify", create_verify, methods=["POST"]),
        Route("/api-config/{api_key}/edit", edit, methods=["GET", "POST"]),
        Route("/api-config/{api_key}/delete", delete_handler(state, "bitmart", "/api-config"),
              methods=["POST"]),
    ]
