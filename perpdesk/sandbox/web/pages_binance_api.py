"""Binance's API Management: create a key (label, authenticator code), see its secret once, Edit
restrictions (Enable Futures, Enable Withdrawals, trusted IPs or Unrestricted), delete.

The keys sign for the Binance USDⓈ-M dialect only; `/sapi/v1/account/apiRestrictions` reads
the settings made here. Sign-in, 2FA and page helpers are the BitMart pages' own.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from perpdesk.sandbox.web.backend import UserView
from perpdesk.sandbox.web.common import WebState, form_data, redirect, render, signed_in
from perpdesk.sandbox.web.input_errors import InputError, PageError
from perpdesk.sandbox.web.ipwhitelist import parse_ip_list
from perpdesk.sandbox.web.key_pages import delete_handler, keys_page, own_key
from perpdesk.sandbox.web.pages_api import TOTP_WRONG
from perpdesk.sandbox.web.sessions import BrowserSession

DIALECT = "binance"
BASE = "/binance/api-management"
TOGGLES = (
    ("spot_trade", "Enable Spot & Margin Trading"),
    ("future_trade", "Enable Futures"),
    ("withdraw", "Enable Withdrawals"),
)
MAX_LABEL = 64
IP_FIELD = "Trusted IPs"


def _checked(form: dict[str, str], name: str) -> bool:
    return form.get(name) in ("on", "1", "true")


def _restrictions(data: dict[str, str]) -> tuple[dict[str, str], set[str], list[str], dict[str, str]]:
    """The Edit restrictions form: (what to show again, permissions, IPs, errors by field)."""
    form = {name: "on" if _checked(data, name) else "" for name, _ in TOGGLES}
    form["ip_access"] = "restricted" if data.get("ip_access") == "restricted" else "unrestricted"
    form["ip_whitelist"] = data.get("ip_whitelist", "")
    errors: dict[str, str] = {}
    ips: list[str] = []
    if form["ip_access"] == "restricted":
        try:
            ips = parse_ip_list(form["ip_whitelist"], field=IP_FIELD)
        except InputError as exc:
            errors["ip_whitelist"] = f"{exc.message}. {exc.next_step}"
        else:
            if not ips:
                errors["ip_whitelist"] = (f"{IP_FIELD}: none given. Enter at least one IPv4 address, "
                                          "or choose Unrestricted (Less Secure).")
    # as on Binance: withdrawals only from trusted IPs
    if form["withdraw"] and form["ip_access"] != "restricted":
        errors["withdraw"] = ("Enable Withdrawals: only for keys restricted to trusted IPs. Choose "
                              "Restrict access to trusted IPs only (Recommended) and enter the IPs.")
    permissions = {"read"} | {name for name, _ in TOGGLES if form[name]}
    return form, permissions, ips, errors


def routes(state: WebState) -> list[BaseRoute]:
    async def _page(request: Request, session: BrowserSession, user: UserView, **extra: object) -> Response:
        return await keys_page(state, request, session, user, "binance_api_management.html", DIALECT,
                               updated=request.query_params.get("updated", ""), **extra)

    @signed_in(state)
    async def management(request: Request, session: BrowserSession, user: UserView) -> Response:
        return await _page(request, session, user)

    @signed_in(state)
    async def create(request: Request, session: BrowserSession, user: UserView) -> Response:
        """Create API: a label and the authenticator code; the key starts with Enable Reading and
        Unrestricted access, as Binance's do (Edit restrictions to change that)."""
        data = await form_data(request)
        if not state.sessions.csrf_ok(session, data.get("csrf_token")):
            return redirect(state, BASE, session)
        label = data.get("label", "").strip()
        form = {"label": label}
        errors: dict[str, str] = {}
        if not label:
            errors["label"] = "Label: required. Name the key, e.g. after the platform that will use it."
        elif len(label) > MAX_LABEL:
            errors["label"] = f"Label: too long. Use at most {MAX_LABEL} characters."
        if not errors and not state.totp.accept(user.uid, user.totp_secret, data.get("totp_code", "")):
            errors["totp_code"] = TOTP_WRONG
        if not errors:
            try:
                key, secret = await state.backend.create_key(user.uid, "", {"read"}, [], label=label,
                                                             dialect=DIALECT)
            except PageError as exc:
                errors["label"] = f"{exc.message}. {exc.next_step}".strip()
            else:
                # Rendered straight from the POST (never a GET page): the secret is shown this once.
                return render(state, request, "binance_api_created.html", session=session, user=user,
                              key=key, secret=secret)
        return await _page(request, session, user, form=form, errors=errors)

    @signed_in(state)
    async def edit(request: Request, session: BrowserSession, user: UserView) -> Response:
        """Edit restrictions: the key's permissions and IP access restriction."""
        key = await own_key(state, request, user, DIALECT)
        if key is None:
            return render(state, request, "error.html", session=session, user=user, status_code=404,
                          message="This API key does not exist or was deleted.")
        if request.method == "GET":
            form = {name: "on" if name in key.permissions else "" for name, _ in TOGGLES}
            form["ip_access"] = "restricted" if key.ip_whitelist else "unrestricted"
            form["ip_whitelist"] = "\n".join(key.ip_whitelist)
            return render(state, request, "binance_api_edit.html", session=session, user=user, key=key,
                          toggles=TOGGLES, form=form, errors={})
        data = await form_data(request)
        if not state.sessions.csrf_ok(session, data.get("csrf_token")):
            return redirect(state, BASE, session)
        form, permissions, ips, errors = _restrictions(data)
        if not errors and not state.totp.accept(user.uid, user.totp_secret, data.get("totp_code", "")):
            errors["totp_code"] = TOTP_WRONG
        if not errors:
            try:
                await state.backend.update_key(key.api_key, permissions, ips)
            except PageError as exc:
                errors["ip_whitelist"] = f"{exc.message}. {exc.next_step}".strip()
        if errors:
            return render(state, request, "binance_api_edit.html", session=session, user=user, key=key,
                          toggles=TOGGLES, form=form, errors=errors, status_code=400)
        return redirect(state, f"{BASE}?updated={key.api_key[-6:]}", session)

    return [
        Route(BASE, management, methods=["GET"]),
        Route(BASE + "/create", create, methods=["POST"]),
        Route(BASE + "/{api_key}/edit", edit, methods=["GET", "POST"]),
        Route(BASE + "/{api_key}/delete", delete_handler(state, DIALECT, BASE), methods=["POST"]),
    ]
