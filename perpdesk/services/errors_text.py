"""What the user reads when connecting an account goes wrong: plain words and the next step.

One place for every message of the connect flows so the pages, the JSON API and the CLI say the
same thing. Messages never contain a secret; at most a masked key id.
"""

from __future__ import annotations

from dataclasses import dataclass

from perpdesk.core import errors as E
from perpdesk.exchanges.base import ExchangeInfo


@dataclass(frozen=True, slots=True)
class UserMessage:
    """A message shown to the user: a stable code, a headline, the explanation and what to do."""

    code: str
    title: str
    message: str
    next_step: str
    severity: str = "error"  # "error" (blocks), "warning" (loud, does not block), "info"
    field: str | None = None  # the form field the message is about, if any
    steps: tuple[str, ...] = ()  # numbered instructions, shown as a list

    def to_dict(self) -> dict[str, str | list[str] | None]:
        data: dict[str, str | list[str] | None] = {
            "code": self.code,
            "title": self.title,
            "message": self.message,
            "next_step": self.next_step,
            "severity": self.severity,
            "field": self.field,
        }
        if self.steps:
            data["steps"] = list(self.steps)
        return data

    def plain(self) -> str:
        """The whole message as text (CLI): message, numbered steps, next step."""
        lines = [f"{self.title}: {self.message}"]
        lines += [f"  {i}. {step}" for i, step in enumerate(self.steps, 1)]
        if self.next_step:
            lines.append(f"  next step: {self.next_step}")
        return "\n".join(lines)


WHITELIST_STEPS = (
    "Log into BitMart (https://www.bitmart.com/, Sign In).",
    "Hover over the profile icon at the top of the page and click API Management.",
    "On the API Management page, click API Whitelist Request.",
    "In the form that opens, enter your BitMart CID or the account's email address, then where the "
    "whitelisting confirmation should be sent (an email address, a Telegram username, …).",
    "Once BitMart confirms the account is whitelisted, the key can trade: perpdesk re-checks it "
    "automatically and turns the account active.",
)

# Each message below is worded for one exchange from its ExchangeInfo (what it calls the key, the
# permission, the page keys are made on), so no message names an exchange the user did not choose.


def wrong_key(ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="unknown_api_key",
        title=f"{ex.said} does not know this API key",
        message="The exchange answered that the API key does not exist (or was deleted).",
        next_step=(
            f"Copy the {ex.key_name} again with the copy button next to it on {ex.key_page} "
            "and paste it into the API key field."
        ),
        field="api_key",
    )


def wrong_secret(ex: ExchangeInfo) -> UserMessage:
    """A refused signature: with a passphrase (BitMart's Memo) the exchange cannot say which is wrong."""
    if not ex.has_passphrase:
        return UserMessage(
            code="invalid_signature",
            title="The Secret is wrong",
            message=f"{ex.said} rejected the signature made with the Secret.",
            next_step=(
                f"Paste the {ex.secret_name} again ({ex.said} shows it only once: if it is lost, delete "
                "the key and create a new one)."
            ),
            field="secret",
        )
    return UserMessage(
        code="invalid_signature",
        title="The Secret or the Passphrase is wrong",
        message=(
            f"{ex.said} rejected the signature. It signs with the Secret and the key's Memo together, "
            "so it cannot tell us which of the two is wrong."
        ),
        next_step=(
            f"Paste the {ex.secret_name} again ({ex.said} shows it only once: if it is lost, create a new "
            "key) and enter exactly the Memo you gave the key as the Passphrase."
        ),
        field="secret",
    )


def wrong_passphrase(ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="wrong_passphrase",
        title="The Passphrase is wrong",
        message="The exchange accepted the Secret but not the Passphrase.",
        next_step=f"Enter the Memo you gave the key on {ex.key_page} as the Passphrase.",
        field="passphrase",
    )


def ip_not_allowed(egress_ips: tuple[str, ...], ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="ip_not_allowed",
        title="The key does not allow perpdesk's IP addresses",
        message=(
            f"{ex.said} refused the request because it came from an address the key does not allow."
        ),
        next_step=(
            f"On {ex.key_page}, {ex.edit_key} and set {ex.ip_setting} ("
            + ", ".join(egress_ips)
            + "; use the copy button in the Manual connect tab), then try again."
        ),
    )


def ip_restriction_missing(egress_ips: tuple[str, ...], ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="ip_restriction_missing",
        title="The key is not restricted to perpdesk's IP addresses",
        message="The key accepts requests from any address: whoever obtains it could trade from anywhere.",
        next_step=(
            f"On {ex.key_page}, {ex.edit_key} and choose {ex.ip_setting} ("
            + ", ".join(egress_ips)
            + "; use the copy button in the Manual connect tab), then try again."
        ),
    )


NOT_WHITELISTED = UserMessage(
    code="futures_not_whitelisted",
    title="The BitMart account is not whitelisted for futures API trading yet",
    message=(
        "The key is valid, but BitMart only lets an account trade futures via API after it has been "
        "whitelisted. To request it (the API Whitelist Request):"
    ),
    steps=WHITELIST_STEPS,
    next_step=(
        "Send the API Whitelist Request, then save the account as awaiting whitelisting: perpdesk "
        "re-checks it in the background and turns it active, with a notice, once BitMart lets it trade."
    ),
)


def no_future_trade(ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="permission_missing",
        title=f"The key lacks the {ex.futures_permission} permission",
        message=(
            f"perpdesk trades {ex.said} Futures; a key without {ex.futures_permission} cannot place "
            "orders there."
        ),
        next_step=(
            f"On {ex.key_page}, {ex.edit_key} and {ex.on_verb} {ex.futures_permission} (or create a new key "
            "with it), then try again."
        ),
    )


def exchange_unavailable(ex: ExchangeInfo | None = None) -> UserMessage:
    return UserMessage(
        code="exchange_unavailable",
        title=f"{ex.said if ex else 'The exchange'} did not answer",
        message="The exchange could not be reached or answered with an error of its own.",
        next_step="Try again in a minute. Nothing was saved.",
    )


EXCHANGE_UNAVAILABLE = exchange_unavailable()

RATE_LIMITED = UserMessage(
    code="rate_limited",
    title="The exchange asked us to slow down",
    message="The exchange refused the check because too many requests were sent with this key.",
    next_step="Wait a minute and try again. Nothing was saved.",
)


def clock(ex: ExchangeInfo | None = None) -> UserMessage:
    return UserMessage(
        code="timestamp_out_of_window",
        title=f"Clocks disagree with {ex.said if ex else 'the exchange'}",
        message="The exchange refused the request's timestamp, even after perpdesk measured its clock again.",
        next_step="Try again; if it persists, the platform's server clock needs to be synchronised (NTP).",
    )


CLOCK = clock()

DUPLICATE_KEY = UserMessage(
    code="duplicate_key",
    title="This API key is already connected",
    message="This API key is already connected to a perpdesk account.",
    next_step=(
        "Use the existing connection (see Settings > Exchange Account API Keys), or create a new key on "
        "the exchange for a new connection."
    ),
    field="api_key",
)

DUPLICATE_ACCOUNT = UserMessage(
    code="duplicate_account",
    title="This exchange account is already connected",
    message="The exchange account this key belongs to is already connected to perpdesk.",
    next_step=(
        "Edit the existing connection to replace its credentials instead of adding the account twice."
    ),
)


def spot_trade_enabled(ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="spot_trade_enabled",
        title=f"{ex.spot_permission} is enabled on this key",
        message=(
            "perpdesk only trades futures. A key that can also trade spot gives anyone holding it more "
            "power than needed."
        ),
        next_step=f"On {ex.key_page}, {ex.edit_key} and {ex.off_verb} {ex.spot_permission}.",
        severity="warning",
    )


def withdraw_enabled(ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="withdraw_enabled",
        title=f"{ex.withdraw_permission} is enabled on this key",
        message=f"This key can withdraw funds from the {ex.said} account. perpdesk never needs that.",
        next_step=(
            f"On {ex.key_page}, {ex.edit_key} and {ex.off_verb} {ex.withdraw_permission}, or create a "
            "new key."
        ),
        severity="warning",
    )


def withdraw_refused(ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="withdraw_refused",
        title="This key can withdraw funds",
        message=(
            f"The key has the {ex.withdraw_permission} permission. perpdesk never withdraws, so a key that "
            "can is only a risk: whoever obtained it could move your funds out."
        ),
        next_step=(
            f"On {ex.key_page}, {ex.edit_key} and {ex.off_verb} {ex.withdraw_permission} (or create a "
            "new key without it), then save again. If you must use this key, tick “I accept that this "
            "key can withdraw funds” and save again."
        ),
        field="api_key",
    )


def ip_list_missing(missing: tuple[str, ...], ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="ip_whitelist_incomplete",
        title="The key's IP whitelist misses some of perpdesk's addresses",
        message="Requests from these perpdesk addresses would be refused: " + ", ".join(missing) + ".",
        next_step=(
            f"On {ex.key_page}, {ex.edit_key} and paste the full list from the Manual connect tab's "
            f"copy button into {ex.ip_setting}."
        ),
        severity="warning",
    )


def ip_unrestricted(ex: ExchangeInfo) -> UserMessage:
    return UserMessage(
        code="ip_unrestricted",
        title="The key is not restricted to perpdesk's IP addresses",
        message="Anyone who obtains this key could use it from anywhere.",
        next_step=f"On {ex.key_page}, {ex.edit_key} and set {ex.ip_setting} to perpdesk's IP addresses.",
        severity="warning",
    )


IP_LIST_UNKNOWN = UserMessage(
    code="ip_whitelist_unknown",
    title="The exchange does not reveal the key's IP whitelist",
    message="perpdesk could not check which addresses the key accepts beyond the one it used.",
    next_step="Make sure the key's IP whitelist contains all of perpdesk's addresses.",
    severity="info",
)

FAST_CONNECT_DENIED = UserMessage(
    code="access_denied",
    title="Fast Connect was cancelled",
    message="The connection was cancelled on BitMart's page, so no key was created.",
    next_step="Click Connect again and press Confirm on BitMart's page to connect the account.",
)

FAST_CONNECT_EXPIRED = UserMessage(
    code="fast_connect_expired",
    title="Fast Connect timed out",
    message="The request to BitMart expired before it was confirmed (it is valid for 10 minutes).",
    next_step="Click Connect again and finish the steps on BitMart's page within 10 minutes.",
)

FAST_CONNECT_BAD_STATE = UserMessage(
    code="fast_connect_invalid_state",
    title="This Fast Connect link is not valid",
    message=(
        "The answer from the exchange does not match a connection started from this browser session, "
        "or it was already used."
    ),
    next_step="Start again from Settings > Exchange Account API Keys, + Connect Account.",
)

FAST_CONNECT_REDEEM_FAILED = UserMessage(
    code="fast_connect_redeem_failed",
    title="BitMart did not hand over the key",
    message="The exchange refused to complete the connection (the code was invalid or expired).",
    next_step="Click Connect again. Nothing was saved.",
)

FAST_CONNECT_NOT_CONFIGURED = UserMessage(
    code="fast_connect_unavailable",
    title="Fast Connect is not configured on this perpdesk",
    message="This installation has no Fast Connect client registered with the exchange.",
    next_step="Use Manual connect, or ask the administrator to configure Fast Connect.",
)

FAST_CONNECT_NOT_ENABLED = UserMessage(
    code="futures_not_enabled",
    title="Enable Futures Account first",
    message="Fast Connect creates a futures key; the Enable Futures Account switch is off.",
    next_step="Turn on the Enable Futures Account switch, then click Connect.",
    field="enable_futures",
)


def from_error(err: BaseException, ex: ExchangeInfo, egress_ips: tuple[str, ...] = ()) -> UserMessage:
    """The user's message for a typed error from the connector (or anything else, generically)."""
    if isinstance(err, E.AuthenticationFailed):
        return wrong_key(ex)
    if isinstance(err, E.WrongPassphrase):
        return wrong_passphrase(ex)
    if isinstance(err, E.InvalidSignature):
        return wrong_secret(ex)
    if isinstance(err, E.IpNotAllowed):
        if err.code == "ip_restriction_missing":
            return ip_restriction_missing(egress_ips, ex)
        return ip_not_allowed(egress_ips, ex)
    if isinstance(err, E.NotWhitelistedForFutures):
        return NOT_WHITELISTED
    if isinstance(err, E.PermissionMissing):
        return no_future_trade(ex)
    if isinstance(err, E.RateLimited):
        return RATE_LIMITED
    if isinstance(err, E.TimestampOutOfWindow):
        return clock(ex)
    if isinstance(err, E.ExchangeUnavailable):
        return exchange_unavailable(ex)
    if isinstance(err, E.ExchangeError):
        return UserMessage(
            code=err.code,
            title=f"{ex.said} refused the key",
            message=err.message,
            next_step=err.next_step or f"Check the key on {ex.key_page} and try again.",
        )
    if isinstance(err, E.InputError):
        return UserMessage(
            code=err.code,
            title="Please check the form",
            message=err.message,
            next_step=err.next_step,
            field=err.field,
        )
    if isinstance(err, E.PerpdeskError):
        return UserMessage(
            code=err.code, title="Could not connect", message=err.message, next_step=err.next_step
        )
    return exchange_unavailable(ex)


class ConnectRefused(E.PerpdeskError):
    """A connect/edit operation refused with a user-facing message. Nothing was stored."""

    def __init__(self, user_message: UserMessage, *, status: int = 400) -> None:
        super().__init__(user_message.message, next_step=user_message.next_step)
        self.user_message = user_message
        self.code = user_message.code
        self.status = status

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.user_message.to_dict().items() if isinstance(v, str)}
