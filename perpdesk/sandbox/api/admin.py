"""The sandbox's admin API for scripts and tests: JSON under /sandbox-admin/, Bearer token.

Creates users (with deposits and whitelisting), API keys and OAuth clients, moves prices,
injects faults and reads the email outbox. Not part of BitMart's API; never exposed to clients.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from perpdesk.sandbox.api import admin_bulk
from perpdesk.sandbox.api.faults import FaultError, Faults
from perpdesk.sandbox.api.ratelimit import RateLimiter
from perpdesk.sandbox.context import SandboxContext
from perpdesk.sandbox.engine import EngineError
from perpdesk.sandbox.identity import IdentityError

PREFIX = "/sandbox-admin"
MAX_ADMIN_AMOUNT = Decimal("1e12")


class AdminError(Exception):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


def _problem(status: int, field: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"field": field, "message": message}}, status_code=status)


def _user(user: Any, **extra: str) -> dict[str, Any]:
    """A new user as the admin API answers: ids, 2FA secret (test tooling signs in with it)."""
    return {
        "uid": user.uid,
        "email": user.email,
        **extra,
        "totp_secret": user.totp_secret,
        "futures_whitelisted": user.futures_whitelisted,
    }


def admin_routes(
    ctx: SandboxContext, limiter: RateLimiter, faults: Faults, dialect_limits: Sequence[Any] = ()
) -> list[BaseRoute]:
    """`dialect_limits`: other dialects' limiters (`factor`, `reset()`), scaled and reset with BitMart's."""
    token = ctx.config.admin_token

    def guarded(handler: Any) -> Any:
        async def endpoint(request: Request) -> JSONResponse:
            auth = request.headers.get("authorization", "")
            given = auth[7:] if auth.lower().startswith("bearer ") else ""
            if not given or not hmac.compare_digest(given.encode(), token.encode()):
                return _problem(401, "authorization", "send 'Authorization: Bearer <admin token>'")
            body: dict[str, Any] = {}
            if request.method in ("POST", "PUT", "DELETE"):
                raw = await request.body()
                if raw.strip():
                    try:
                        parsed = await request.json()
                    except ValueError:
                        return _problem(400, "body", "the body must be a JSON object")
                    if not isinstance(parsed, dict):
                        return _problem(400, "body", "the body must be a JSON object")
                    body = parsed
            try:
                result = await handler(request, body)
            except AdminError as exc:
                return _problem(exc.status, exc.field, exc.message)
            except (IdentityError, FaultError, admin_bulk.BulkError) as exc:
                return _problem(400, exc.field, exc.message)
            except EngineError as exc:
                return _problem(400, "engine", f"{exc.code} {exc.message}")
            await ctx.persist.flush()
            return JSONResponse(result)

        return endpoint

    def need(body: dict[str, Any], name: str) -> Any:
        value = body.get(name)
        if value is None or value == "":
            raise AdminError(400, name, f"'{name}' is required")
        return value

    def user_of(email: str) -> Any:
        user = ctx.identity.user_by_email(email)
        if user is None:
            raise AdminError(404, "email", "no user with that email; create it first")
        return user

    def amount(value: Any, field: str) -> Decimal:
        text = str(value).strip()
        if isinstance(value, bool) or not isinstance(value, str | int | float) or len(text) > 40:
            raise AdminError(400, field, 'give a decimal number as a string, e.g. "1000"')
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AdminError(400, field, "must be a decimal number (e.g. 25000.5)") from None
        if not number.is_finite() or not 0 < number < MAX_ADMIN_AMOUNT:
            raise AdminError(400, field, f"must be a number above 0 and below {MAX_ADMIN_AMOUNT:f}")
        return number

    def text(body: dict[str, Any], name: str, default: str | None = None) -> str:
        value = body.get(name, default)
        if value is None or value == "":
            raise AdminError(400, name, f"'{name}' is required")
        if not isinstance(value, str):
            raise AdminError(400, name, f"'{name}' must be a string")
        return value

    def str_list(body: dict[str, Any], *names: str) -> list[str] | None:
        """A list of strings, or one comma-separated string; None when absent."""
        for name in names:
            value = body.get(name)
            if value is None:
                continue
            if isinstance(value, str):
                return [v.strip() for v in value.split(",") if v.strip()]
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                return value
            raise AdminError(400, name, f"'{name}' must be a list of strings or one comma-separated string")
        return None

    async def create_user(request: Request, body: dict[str, Any]) -> Any:
        email = str(need(body, "email"))
        password = str(need(body, "password"))
        deposit = body.get("deposit") or {}
        if not isinstance(deposit, dict):
            raise AdminError(400, "deposit", 'give deposits as an object, e.g. {"USDT": "1000"}')
        futures = body.get("futures_deposit") or {}
        if not isinstance(futures, dict):
            raise AdminError(400, "futures_deposit", 'give amounts as an object, e.g. {"USDT": "1000"}')
        amounts = {str(cur).upper(): amount(val, f"deposit.{cur}") for cur, val in deposit.items()}
        to_futures = {str(cur).upper(): amount(val, f"futures_deposit.{cur}") for cur, val in futures.items()}
        user = await ctx.identity.acreate_user(email, password)
        ctx.engine.ensure_account(user.uid)
        for currency, value in amounts.items():
            ctx.engine.deposit(user.uid, currency, value)
        for currency, value in to_futures.items():  # a faucet deposit, then BitMart's own transfer
            ctx.engine.deposit(user.uid, currency, value)
            ctx.engine.transfer_contract(user.uid, currency, value, "spot_to_contract")
        if body.get("whitelisted"):
            ctx.identity.approve_whitelist(user.uid)
        return _user(user)

    async def bulk_accounts(request: Request, body: dict[str, Any]) -> Any:
        return admin_bulk.create_accounts(ctx, body)

    async def create_key(request: Request, body: dict[str, Any]) -> Any:
        user = user_of(text(body, "email"))
        perms = str_list(body, "permissions")
        ips = str_list(body, "ip", "ip_whitelist")
        dialect = text(body, "dialect", "bitmart")
        key = ctx.identity.create_key(
            user.uid,
            "" if dialect == "binance" else text(body, "memo"),
            set(["future_trade"] if perms is None else perms),
            ips,
            text(body, "label", "-") if body.get("label") else "",
            dialect=dialect,
        )
        return {**key.public_view(), "secret_key": key.secret_key}

    async def create_sub_account(request: Request, body: dict[str, Any]) -> Any:
        parent = user_of(str(need(body, "email")))
        sub = await ctx.identity.acreate_sub_account(
            parent.uid, str(need(body, "sub_email")), str(need(body, "password"))
        )
        ctx.engine.ensure_account(sub.uid)
        return _user(sub, parent_uid=parent.uid)

    async def whitelist(request: Request, body: dict[str, Any]) -> Any:
        user = user_of(str(need(body, "email")))
        ctx.identity.approve_whitelist(user.uid)
        return {"uid": user.uid, "email": user.email, "futures_whitelisted": True}

    async def deposit(request: Request, body: dict[str, Any]) -> Any:
        user = user_of(str(need(body, "email")))
        currency = str(body.get("currency") or "USDT").upper()
        return ctx.engine.deposit(user.uid, currency, amount(need(body, "amount"), "amount"))

    async def set_price(request: Request, body: dict[str, Any]) -> Any:
        symbol = str(need(body, "symbol"))
        if symbol not in ctx.engine.symbols():
            raise AdminError(
                400, "symbol", f"unknown symbol {symbol!r}; known: {', '.join(ctx.engine.symbols())}"
            )
        price = amount(need(body, "price"), "price")
        ctx.engine.set_price(symbol, price)
        return {"symbol": symbol, "price": str(ctx.engine.mark_price(symbol))}

    async def settle_funding(request: Request, body: dict[str, Any]) -> Any:
        symbol = str(need(body, "symbol"))
        if symbol not in ctx.engine.symbols():
            known = ", ".join(ctx.engine.symbols())
            raise AdminError(400, "symbol", f"unknown symbol {symbol!r}; known: {known}")
        rate = None
        if body.get("rate") is not None:
            try:
                rate = Decimal(str(body["rate"]))
            except InvalidOperation:
                raise AdminError(400, "rate", "rate must be a decimal number (e.g. 0.0001)") from None
            if not rate.is_finite() or abs(rate) >= 1:
                raise AdminError(400, "rate", "must be a decimal fraction between -1 and 1, e.g. 0.0001")
        settled = ctx.engine.settle_funding(symbol, rate)
        return {"symbol": symbol, "rate": str(settled)}

    async def identity_clock(request: Request, body: dict[str, Any]) -> Any:
        """Sessions, codes, lockouts and pending sign-ins end as if `seconds` had passed (no sleeps)."""
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise AdminError(400, "seconds", "give the seconds to move the identity clock forward, e.g. 301")
        ctx.identity.clock.advance(float(seconds))
        return {"offset_s": ctx.identity.clock.offset_s}

    async def tick(request: Request, body: dict[str, Any]) -> Any:
        ctx.engine.tick()
        return {"ok": True}

    def market_state() -> dict[str, Any]:
        return {"price_walk": ctx.engine.price_walk, "queued": ctx.engine.queued_prices()}

    async def freeze_prices(request: Request, body: dict[str, Any]) -> Any:
        frozen = body.get("frozen", True)
        if not isinstance(frozen, bool):
            raise AdminError(400, "frozen", "must be true (stop the random walk) or false (resume it)")
        ctx.engine.price_walk = not frozen
        return {"frozen": frozen, **market_state()}

    async def replay_prices(request: Request, body: dict[str, Any]) -> Any:
        text = body.get("text")
        prices = body.get("prices")
        field = "prices" if prices is not None else "text"
        if text is not None and prices is not None:
            raise AdminError(400, "text", "give either 'text' (SYMBOL,PRICE lines) or 'prices', not both")
        if prices is not None:
            if not isinstance(prices, list) or not all(
                isinstance(r, dict) and "symbol" in r and "price" in r for r in prices
            ):
                raise AdminError(
                    400, "prices", 'give a list of {"symbol": "BTCUSDT", "price": "95000"} objects'
                )
            text = "\n".join(f"{r['symbol']},{r['price']}" for r in prices)
        if text is not None and not isinstance(text, str):
            raise AdminError(400, "text", "must be SYMBOL,PRICE lines in one string")
        try:  # check everything before changing anything
            rows = ctx.engine.parse_price_lines(text or "", field)
        except ValueError as exc:
            raise AdminError(400, field, str(exc)) from None
        if body.get("clear"):
            ctx.engine.clear_replay()
        for symbol, price in rows:
            ctx.engine.replay_prices(symbol, [price])
        return {"added": len(rows), **market_state()}

    async def market(request: Request, body: dict[str, Any]) -> Any:
        return {
            **market_state(),
            "marks": {sym: str(ctx.engine.mark_price(sym)) for sym in ctx.engine.symbols()},
        }

    async def requests(request: Request, body: dict[str, Any]) -> Any:
        """REST requests served: in all, and with the key `api_key` when given."""
        counts = ctx.request_counts
        out: dict[str, Any] = {"total": sum(counts.values()), "public": counts.get("", 0)}
        api_key = request.query_params.get("api_key")
        if api_key:
            out["api_key"] = counts.get(api_key, 0)
        return out

    async def add_fault(request: Request, body: dict[str, Any]) -> Any:
        return faults.add(body).to_dict()

    async def list_faults(request: Request, body: dict[str, Any]) -> Any:
        return {"faults": [f.to_dict() for f in faults.list()]}

    async def clear_faults(request: Request, body: dict[str, Any]) -> Any:
        return {"cleared": faults.clear(body.get("path"))}

    async def rate_limits(request: Request, body: dict[str, Any]) -> Any:
        if "factor" in body:
            factor = body["factor"]
            if isinstance(factor, bool) or not isinstance(factor, int | float) or not 0 <= factor <= 1000:
                raise AdminError(
                    400, "factor", "must be a number from 0 to 1000 (1 = BitMart's limits, 0 = off)"
                )
            for each in (limiter, *dialect_limits):
                each.factor = float(factor)
        if body.get("reset"):
            for each in (limiter, *dialect_limits):
                each.reset()
        return {"factor": limiter.factor}

    async def create_oauth_client(request: Request, body: dict[str, Any]) -> Any:
        uris = body.get("redirect_uris") or []
        if isinstance(uris, str):
            uris = [uris]
        client, secret = ctx.identity.create_oauth_client(
            str(need(body, "name")), list(uris), body.get("ip_whitelist", body.get("ip"))
        )
        return {
            "client_id": client.client_id,
            "client_secret": secret,
            "redirect_uris": client.redirect_uris,
            "ip_whitelist": client.ip_whitelist,
        }

    async def outbox(request: Request, body: dict[str, Any]) -> Any:
        email = request.query_params.get("email")
        return {"messages": [e.to_doc() for e in ctx.identity.outbox(email)]}

    async def user_info(request: Request, body: dict[str, Any]) -> Any:
        user = user_of(request.query_params.get("email", ""))
        return {
            "uid": user.uid,
            "email": user.email,
            "futures_whitelisted": ctx.identity.is_futures_whitelisted(user.uid),
            "parent_uid": user.parent_uid,
            "sub_accounts": [u.email for u in ctx.identity.sub_accounts(user.uid)],
            "whitelist_request": user.whitelist_request.__dict__,
            "keys": [k.public_view() for k in ctx.identity.keys_of(user.uid)],
        }

    def route(path: str, handler: Any, methods: list[str]) -> Route:
        return Route(PREFIX + path, guarded(handler), methods=methods)

    return [
        route("/users", create_user, ["POST"]),
        route("/user", user_info, ["GET"]),
        route("/keys", create_key, ["POST"]),
        route("/bulk-accounts", bulk_accounts, ["POST"]),
        route("/sub-accounts", create_sub_account, ["POST"]),
        route("/whitelist", whitelist, ["POST"]),
        route("/deposit", deposit, ["POST"]),
        route("/price", set_price, ["POST"]),
        route("/tick", tick, ["POST"]),
        route("/identity-clock", identity_clock, ["POST"]),
        route("/funding", settle_funding, ["POST"]),
        route("/freeze-prices", freeze_prices, ["POST"]),
        route("/replay-prices", replay_prices, ["POST"]),
        route("/market", market, ["GET"]),
        route("/requests", requests, ["GET"]),
        route("/faults", add_fault, ["POST"]),
        route("/faults", list_faults, ["GET"]),
        route("/faults/clear", clear_faults, ["POST"]),
        route("/rate-limits", rate_limits, ["POST"]),
        route("/oauth-clients", create_oauth_client, ["POST"]),
        route("/outbox", outbox, ["GET"]),
    ]
