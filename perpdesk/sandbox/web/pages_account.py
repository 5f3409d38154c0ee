"""Assets (balances, Deposit faucet, Transfer spot ⇄ futures) and the API Whitelist Request."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from perpdesk.sandbox.engine import EngineError
from perpdesk.sandbox.web.backend import UserView
from perpdesk.sandbox.web.common import (
    WebState,
    form_data,
    redirect,
    render,
    signed_in,
)
from perpdesk.sandbox.web.sessions import BrowserSession

FAUCET_MAX = Decimal(1_000_000)  # per deposit: plenty for paper trading, bounded against typos
CURRENCIES = ("USDT",)


def _amount(text: str, field: str, maximum: Decimal | None = None) -> tuple[Decimal | None, str]:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None, f"{field}: enter a number, e.g. 1000."
    if not value.is_finite() or value <= 0:
        return None, f"{field}: must be greater than 0."
    if value.as_tuple().exponent < -8:  # type: ignore[operator]
        return None, f"{field}: at most 8 decimal places."
    if maximum is not None and value > maximum:
        return None, f"{field}: at most {maximum} per deposit in the sandbox."
    return value, ""


def routes(state: WebState) -> list[BaseRoute]:
    async def _assets(request: Request, session: BrowserSession, user: UserView, **extra: object) -> Response:
        context: dict[str, object] = {
            "spot": state.backend.spot_balances(user.uid),
            "futures": state.backend.futures_balances(user.uid),
            "errors": {},
            "form": {},
            "notice": request.query_params.get("done", ""),
            "currencies": CURRENCIES,
        }
        context.update(extra)
        return render(state, request, "assets.html", session=session, user=user,
                      status_code=400 if context["errors"] else 200, **context)

    @signed_in(state)
    async def assets(request: Request, session: BrowserSession, user: UserView) -> Response:
        return await _assets(request, session, user)

    @signed_in(state)
    async def deposit(request: Request, session: BrowserSession, user: UserView) -> Response:
        form = await form_data(request)
        if not state.sessions.csrf_ok(session, form.get("csrf_token")):
            return redirect(state, "/assets", session)
        currency = form.get("currency", "USDT")
        amount, error = _amount(form.get("amount", ""), "Deposit amount", FAUCET_MAX)
        if currency not in CURRENCIES:
            error = f"Currency: only {', '.join(CURRENCIES)} can be deposited in the sandbox."
        if amount is None or error:
            return await _assets(request, session, user, errors={"deposit": error}, form=form)
        await state.backend.deposit(user.uid, currency, amount)
        return redirect(state, "/assets?done=deposit", session)

    @signed_in(state)
    async def transfer(request: Request, session: BrowserSession, user: UserView) -> Response:
        form = await form_data(request)
        if not state.sessions.csrf_ok(session, form.get("csrf_token")):
            return redirect(state, "/assets", session)
        direction = form.get("direction", "")
        amount, error = _amount(form.get("transfer_amount", ""), "Transfer amount")
        if direction not in ("spot_to_contract", "contract_to_spot"):
            error = "Direction: choose Spot → Futures or Futures → Spot."
        if amount is None or error:
            return await _assets(request, session, user, errors={"transfer": error}, form=form)
        try:
            await state.backend.transfer(user.uid, "USDT", amount, direction)
        except EngineError as exc:
            return await _assets(request, session, user, form=form,
                                 errors={"transfer": f"Transfer amount: {exc.message}"})
        return redirect(state, "/assets?done=transfer", session)

    @signed_in(state)
    async def whitelist_request(request: Request, session: BrowserSession, user: UserView) -> Response:
        errors: dict[str, str] = {}
        form: dict[str, str] = {}
        if request.method == "POST":
            form = await form_data(request)
            if not state.sessions.csrf_ok(session, form.get("csrf_token")):
                return redirect(state, "/api-whitelist-request", session)
            who = form.get("cid_or_email", "").strip()
            contact = form.get("contact", "").strip()
            if not who:
                errors["cid_or_email"] = "Bitmart CID or email: required."
            elif who.lower() not in (user.uid, user.email.lower()):
                errors["cid_or_email"] = (
                    "Bitmart CID or email: does not match the signed-in account. "
                    f"Enter this account's CID ({user.uid}) or its email address."
                )
            if not contact:
                errors["contact"] = ("Where the confirmation should be sent: required, e.g. an email "
                                     "address or a Telegram username.")
            elif len(contact) > 200:
                errors["contact"] = "Where the confirmation should be sent: at most 200 characters."
            if not errors:
                await state.backend.request_whitelist(user.uid, who, contact)
                return redirect(state, "/api-whitelist-request", session)
        fresh = await state.backend.user_by_uid(user.uid)
        return render(state, request, "whitelist_request.html", session=session, user=fresh or user,
                      errors=errors, form=form, status_code=400 if errors else 200)

    return [
        Route("/assets", assets, methods=["GET"]),
        Route("/assets/deposit", deposit, methods=["POST"]),
        Route("/assets/transfer", transfer, methods=["POST"]),
        Route("/api-whitelist-request", whitelist_request, methods=["GET", "POST"]),
    ]
