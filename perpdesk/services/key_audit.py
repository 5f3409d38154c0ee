"""Key audit: turn the exchange's KeyReport into a verdict the user can act on. Pure, no I/O.

Verdicts:
- ``ok``: the key can trade futures; it may still carry loud warnings (Spot-Trade, IPs, and
  Withdraw when the user accepted it explicitly).
- ``awaiting_whitelist``: the key is right but the exchange (BitMart) has not whitelisted the
  account for futures API trading; the user may save it as *awaiting whitelisting*.
- ``refused``: something the user must fix first (wrong key, wrong secret/passphrase, IP not
  allowed, no Future-Trade, Withdraw enabled without the user's explicit acceptance, exchange
  unavailable).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field

from perpdesk.core import errors as E
from perpdesk.core.models import Balance, KeyReport, Permission
from perpdesk.exchanges.base import ExchangeInfo
from perpdesk.services import errors_text as T
from perpdesk.services.errors_text import UserMessage


class Verdict(enum.StrEnum):
    OK = "ok"
    AWAITING_WHITELIST = "awaiting_whitelist"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Audit:
    verdict: Verdict
    problem: UserMessage | None  # why it is refused or awaiting; None when ok
    warnings: tuple[UserMessage, ...] = ()
    balances: tuple[Balance, ...] = ()
    permissions: frozenset[Permission] = field(default_factory=frozenset)
    ip_whitelist: tuple[str, ...] | None = None
    account_id: str | None = None

    @property
    def storable(self) -> bool:
        return self.verdict in (Verdict.OK, Verdict.AWAITING_WHITELIST)

    def to_dict(self) -> dict[str, object]:
        return {
            "verdict": self.verdict.value,
            "problem": self.problem.to_dict() if self.problem else None,
            "warnings": [w.to_dict() for w in self.warnings],
            "balances": [balance_dict(b) for b in self.balances],
            "permissions": sorted(p.value for p in self.permissions),
            "ip_whitelist": list(self.ip_whitelist) if self.ip_whitelist is not None else None,
            # the key owner's own BitMart account id (CID): the API Whitelist Request asks for it
            "exchange_account_id": self.account_id if self.verdict is not Verdict.REFUSED else None,
        }


def balance_dict(b: Balance) -> dict[str, str]:
    """Exact decimal strings, as on the wire."""
    return {
        "currency": b.currency,
        "equity": str(b.equity),
        "available": str(b.available),
        "unrealized_pnl": str(b.unrealized_pnl),
    }


def _warnings(report: KeyReport, egress_ips: Sequence[str], ex: ExchangeInfo) -> list[UserMessage]:
    out: list[UserMessage] = []
    perms = report.permissions or frozenset()
    if Permission.SPOT_TRADE in perms:
        out.append(T.spot_trade_enabled(ex))
    if Permission.WITHDRAW in perms:
        out.append(T.withdraw_enabled(ex))
    if report.ip_whitelist is None:
        out.append(T.IP_LIST_UNKNOWN)
    elif len(report.ip_whitelist) == 0:
        out.append(T.ip_unrestricted(ex))
    else:
        allowed = set(report.ip_whitelist)
        missing = tuple(ip for ip in egress_ips if ip not in allowed)
        if missing:
            out.append(T.ip_list_missing(missing, ex))
    return out


def _is_whitelist_problem(report: KeyReport) -> bool:
    return isinstance(report.error, E.NotWhitelistedForFutures) or (
        report.error is None and report.futures_whitelisted is False
    )


def audit(
    report: KeyReport, egress_ips: Sequence[str], ex: ExchangeInfo, *, allow_withdraw: bool = False
) -> Audit:
    """Judge a key from its report, in the words of its exchange `ex`. Order matters: the first
    thing the user must fix comes first. A key that can withdraw is refused unless the user
    accepted it (`allow_withdraw`)."""
    egress = tuple(egress_ips)
    perms = report.permissions or frozenset()
    common = {
        "balances": report.balances,
        "permissions": frozenset(perms),
        "ip_whitelist": report.ip_whitelist,
        "account_id": report.account_id,
    }

    def refused(msg: UserMessage) -> Audit:
        return Audit(Verdict.REFUSED, msg, **common)  # type: ignore[arg-type]

    # Identity of the key first: nothing else means anything if the key or signature is wrong.
    if report.key_known is False:
        return refused(T.wrong_key(ex))
    if report.signature_valid is False:
        if report.passphrase_distinguishable and isinstance(report.error, E.WrongPassphrase):
            return refused(T.wrong_passphrase(ex))
        return refused(T.wrong_secret(ex))
    if report.ip_allowed is False or isinstance(report.error, E.IpNotAllowed):
        err = report.error if isinstance(report.error, E.IpNotAllowed) else E.IpNotAllowed("")
        return refused(T.from_error(err, ex, egress))
    if report.error is not None and not _is_whitelist_problem(report):
        return refused(T.from_error(report.error, ex, egress))
    # A known permission set without Future-Trade is refused even when not whitelisted yet.
    if report.permissions is not None and Permission.FUTURE_TRADE not in perms:
        return refused(T.no_future_trade(ex))
    if Permission.WITHDRAW in perms and not allow_withdraw:
        return refused(T.withdraw_refused(ex))
    warnings = tuple(_warnings(report, egress, ex))
    if _is_whitelist_problem(report):
        return Audit(Verdict.AWAITING_WHITELIST, T.NOT_WHITELISTED, warnings, **common)  # type: ignore[arg-type]
    if report.signature_valid is None or report.permissions is None:
        # The exchange could not confirm the key (partial answers): do not store what we cannot trust.
        return refused(T.exchange_unavailable(ex))
    return Audit(Verdict.OK, None, warnings, **common)  # type: ignore[arg-type]
