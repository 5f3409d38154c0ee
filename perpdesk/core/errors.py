"""Typed errors. Each carries what went wrong and the next step in plain words; never a secret."""

from __future__ import annotations


class PerpdeskError(Exception):
    """Base of all perpdesk errors. `code` is stable for APIs and tests."""

    code = "error"
    next_step = ""

    def __init__(self, message: str, *, next_step: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if next_step is not None:
            self.next_step = next_step
        # machine-readable facts beside the message (the JSON error envelope carries them)
        self.details: dict[str, object] = {}

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "next_step": self.next_step}


class InputError(PerpdeskError):
    """Bad input from a user: names the field, what is wrong and what to do."""

    code = "invalid_input"

    def __init__(self, field: str, problem: str, fix: str) -> None:
        super().__init__(f"{field}: {problem}", next_step=fix)
        self.field = field
        self.problem = problem  # what is wrong with the field, without its name

    def to_dict(self) -> dict[str, str]:
        return {**super().to_dict(), "field": self.field}


class NotFound(PerpdeskError):
    code = "not_found"


class Conflict(PerpdeskError):
    code = "conflict"


# --- exchange errors -------------------------------------------------------------------------


class ExchangeError(PerpdeskError):
    """Something the exchange said or failed to say. `exchange_code` is the exchange's own code."""

    code = "exchange_error"
    # our own words for what the exchange said (set by the connector); what is shown to users,
    # since the exchange's raw text may quote back what was sent
    headline: str | None = None

    def __init__(
        self,
        message: str,
        *,
        exchange_code: int | str | None = None,
        http_status: int | None = None,
        next_step: str | None = None,
    ) -> None:
        super().__init__(message, next_step=next_step)
        self.exchange_code = exchange_code
        self.http_status = http_status

    def to_dict(self) -> dict[str, str]:
        data = super().to_dict()
        if self.exchange_code is not None:
            data["exchange_code"] = str(self.exchange_code)
        return data


class AuthenticationFailed(ExchangeError):
    """The exchange does not know this API key."""

    code = "unknown_api_key"
    next_step = "Check that the API key was copied whole from the exchange's API Management page."


class InvalidSignature(ExchangeError):
    """The signature did not verify: the secret or the passphrase (memo) is wrong.

    BitMart signs over timestamp#memo#payload, so a wrong memo and a wrong secret look the same.
    """

    code = "invalid_signature"
    next_step = (
        "Check the Secret and the Passphrase (the key's Memo on BitMart). "
        "The exchange cannot tell which of the two is wrong."
    )


class WrongPassphrase(ExchangeError):
    code = "wrong_passphrase"
    next_step = "Enter the Memo you gave the key on the exchange's API Management page as the Passphrase."


class TimestampOutOfWindow(ExchangeError):
    code = "timestamp_out_of_window"
    next_step = (
        "The clocks disagree; perpdesk resynchronises and retries. "
        "If it persists, check the server clock."
    )


class IpNotAllowed(ExchangeError):
    code = "ip_not_allowed"
    next_step = "Add the platform's IP addresses to the key's IP whitelist on the exchange."


class NotWhitelistedForFutures(ExchangeError):
    code = "futures_not_whitelisted"
    next_step = (
        "The exchange must whitelist the account for futures API trading first: on BitMart, "
        "API Management > API Whitelist Request. perpdesk re-checks and activates it once lifted."
    )


class PermissionMissing(ExchangeError):
    code = "permission_missing"
    next_step = "Edit the key on the exchange and enable the Future-Trade permission."

    def __init__(self, message: str, *, permission: str = "future_trade", **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.permission = permission


class RateLimited(ExchangeError):
    code = "rate_limited"
    next_step = "Wait a moment; perpdesk paces its requests to the exchange's limits."

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class InvalidOrder(ExchangeError):
    code = "invalid_order"

    def __init__(
        self, message: str, *, reason: str = "", field: str | None = None, problem: str | None = None,
        **kw: object,
    ) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.reason = reason or message
        self.field = field  # the order field at fault, when one is
        self.problem = problem  # with a field: what is wrong with it, without its name

    def to_dict(self) -> dict[str, str]:
        data = super().to_dict()
        if self.field:
            data["field"] = self.field
        return data


class InsufficientMargin(ExchangeError):
    code = "insufficient_margin"
    next_step = "Reduce the size or the leverage, or transfer more USDT to the futures account."


class OrderNotFound(ExchangeError):
    code = "order_not_found"


class ExchangeUnavailable(ExchangeError):
    code = "exchange_unavailable"
    next_step = "The exchange did not answer; try again in a minute. Nothing was changed."


class MaybeApplied(ExchangeUnavailable):
    """A write may have reached the exchange but no answer came back: it may have been applied.
    `decided_after_ms` (our wall clock, epoch ms) is when the exchange can no longer act on it."""

    code = "outcome_uncertain"
    next_step = "The exchange may or may not have applied it: check before repeating it."
    decided_after_ms: int | None = None


class UnknownOutcome(ExchangeError):
    """An order was sent and the exchange could not say whether it exists. Never resend blindly."""

    code = "unknown_outcome"
    next_step = "perpdesk will look the order up by its client order id before doing anything else."

    def __init__(self, message: str, *, client_order_id: str, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.client_order_id = client_order_id
