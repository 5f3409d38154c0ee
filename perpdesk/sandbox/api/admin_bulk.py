"""Many accounts at once for benchmarks (`POST /sandbox-admin/bulk-accounts`): users with a
futures deposit, one API key each (any source address) and, if asked, a market position.

The password is hashed once for the whole batch (the hash is what makes one user slow to create);
these users are for API keys, though each can still sign in with that password.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from perpdesk.sandbox.context import SandboxContext

MAX_BATCH = 5000  # accounts per request: a bench asks several times for more


class BulkError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _decimal(value: Any, field: str) -> Decimal:
    try:
        out = Decimal(str(value))
    except InvalidOperation:
        raise BulkError(field, f"'{field}' must be a decimal number") from None
    if not out.is_finite() or out <= 0 or out > Decimal("1e12"):
        raise BulkError(field, f"'{field}' must be above 0 and at most 1e12")
    return out


def create_accounts(ctx: SandboxContext, body: dict[str, Any]) -> dict[str, Any]:
    """body: count (1..5000), email_prefix, password, futures_usdt (default 1000), and optional
    position {symbol, size (contracts), leverage}: a cross long opened at market for each."""
    count = body.get("count")
    if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_BATCH:
        raise BulkError("count", f"'count' must be a whole number from 1 to {MAX_BATCH}")
    prefix = str(body.get("email_prefix") or "bench")
    if not prefix.replace("-", "").replace(".", "").isalnum() or len(prefix) > 40:
        raise BulkError("email_prefix", "letters, digits, '-' and '.', at most 40")
    password = str(body.get("password") or "bench-password")
    usdt = _decimal(body.get("futures_usdt", "1000"), "futures_usdt")
    position = body.get("position")
    if position is not None:
        if not isinstance(position, dict) or position.get("symbol") not in ctx.engine.symbols():
            raise BulkError("position", "give {symbol, size, leverage} with a listed symbol")
        size = position.get("size", 1)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
            raise BulkError("position.size", "contracts: a whole number from 1 to 1000")
        leverage = _decimal(position.get("leverage", "5"), "position.leverage")

    identity, engine = ctx.identity, ctx.engine
    password_hash = identity.hash_password(password)
    out = []
    for i in range(count):
        user = identity.create_user(f"{prefix}-{i}@example.com", password, password_hash=password_hash)
        engine.ensure_account(user.uid)
        engine.deposit(user.uid, "USDT", usdt)
        engine.transfer_contract(user.uid, "USDT", usdt, "spot_to_contract")
        identity.approve_whitelist(user.uid)
        key = identity.create_key(user.uid, "bench", {"future_trade"}, None)
        if position is not None:
            engine.submit_order(user.uid, position["symbol"], side=1, size=size, type="market",
                                leverage=leverage, open_type="cross")
        out.append({"uid": user.uid, "email": user.email, "api_key": key.api_key,
                    "secret_key": key.secret_key, "memo": key.memo})
    return {"accounts": out}
