"""Key audit rules: each KeyReport shape gets the verdict and the message the user must see."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perpdesk.core import errors as E
from perpdesk.core.models import Balance, KeyReport, Permission
from perpdesk.exchanges.registry import entry
from perpdesk.services.key_audit import Verdict, audit

BITMART = entry("bitmart").info

EGRESS = ("127.0.0.1", "127.0.0.3")
FT = frozenset({Permission.READ, Permission.FUTURE_TRADE})


def report(**kw: object) -> KeyReport:
    base: dict[str, object] = dict(
        key_known=True,
        signature_valid=True,
        ip_allowed=True,
        futures_whitelisted=True,
        permissions=FT,
        ip_whitelist=EGRESS,
        balances=(Balance("USDT", Decimal("100.5"), Decimal("90"), Decimal("-1.25")),),
        account_id="42",
    )
    base.update(kw)
    return KeyReport(**base)  # type: ignore[arg-type]


def test_good_key_is_ok_without_warnings() -> None:
    a = audit(report(), EGRESS, BITMART)
    assert a.verdict is Verdict.OK and a.problem is None and a.warnings == ()
    assert a.to_dict()["balances"] == [
        {"currency": "USDT", "equity": "100.5", "available": "90", "unrealized_pnl": "-1.25"}
    ]


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"key_known": False, "error": E.AuthenticationFailed("x")}, "unknown_api_key"),
        ({"signature_valid": False, "error": E.InvalidSignature("x")}, "invalid_signature"),
        ({"ip_allowed": False, "error": E.IpNotAllowed("x")}, "ip_not_allowed"),
        (
            {"permissions": frozenset({Permission.READ}), "error": E.PermissionMissing("x")},
            "permission_missing",
        ),
        ({"permissions": frozenset({Permission.READ})}, "permission_missing"),
        (
            {"key_known": None, "signature_valid": None, "error": E.ExchangeUnavailable("down")},
            "exchange_unavailable",
        ),
        ({"error": E.RateLimited("slow")}, "rate_limited"),
    ],
)
def test_refusals_name_the_problem(kw: dict[str, object], code: str) -> None:
    a = audit(report(**kw), EGRESS, BITMART)
    assert a.verdict is Verdict.REFUSED
    assert a.problem is not None and a.problem.code == code
    assert a.problem.next_step


def test_wrong_secret_message_is_honest_about_memo() -> None:
    a = audit(report(signature_valid=False, error=E.InvalidSignature("x")), EGRESS, BITMART)
    assert a.problem is not None
    assert "cannot tell" in a.problem.message and "Memo" in a.problem.next_step


def test_wrong_passphrase_only_when_exchange_can_tell() -> None:
    a = audit(
        report(signature_valid=False, passphrase_distinguishable=True, error=E.WrongPassphrase("x")),
        EGRESS,
        BITMART,
    )
    assert a.problem is not None and a.problem.code == "wrong_passphrase"


def test_ip_message_lists_platform_addresses() -> None:
    a = audit(report(ip_allowed=False, error=E.IpNotAllowed("x")), EGRESS, BITMART)
    assert a.problem is not None and "127.0.0.1, 127.0.0.3" in a.problem.next_step


def test_not_whitelisted_is_awaiting_with_the_request_steps() -> None:
    waiting = report(futures_whitelisted=False, error=E.NotWhitelistedForFutures("x"), balances=())
    a = audit(waiting, EGRESS, BITMART)
    assert a.verdict is Verdict.AWAITING_WHITELIST and a.storable
    assert a.problem is not None and "API Whitelist Request" in a.problem.message
    assert any("Bitmart CID".lower() in step.lower() for step in a.problem.steps)
    assert (
        "API Whitelist Request" in a.problem.plain() and "3. On the API Management page" in a.problem.plain()
    )


def test_not_whitelisted_but_no_future_trade_is_refused() -> None:
    a = audit(
        report(
            futures_whitelisted=False,
            error=E.NotWhitelistedForFutures("x"),
            permissions=frozenset({Permission.READ}),
        ),
        EGRESS,
        BITMART,
    )
    assert a.verdict is Verdict.REFUSED and a.problem is not None and a.problem.code == "permission_missing"


def test_withdraw_is_refused_unless_accepted_then_warns_loudly() -> None:
    perms = FT | {Permission.SPOT_TRADE, Permission.WITHDRAW}
    refused = audit(report(permissions=perms), EGRESS, BITMART)
    assert refused.verdict is Verdict.REFUSED and refused.problem is not None
    assert refused.problem.code == "withdraw_refused" and refused.problem.field == "api_key"
    assert "I accept that this key can withdraw funds" in refused.problem.next_step
    a = audit(report(permissions=perms), EGRESS, BITMART, allow_withdraw=True)
    assert a.verdict is Verdict.OK
    assert [w.code for w in a.warnings] == ["spot_trade_enabled", "withdraw_enabled"]
    assert all(w.severity == "warning" for w in a.warnings)
    # the acceptance changes nothing for a key without Withdraw
    assert audit(report(permissions=FT), EGRESS, BITMART, allow_withdraw=True).warnings == ()


def test_ip_whitelist_checks() -> None:
    missing = audit(report(ip_whitelist=("127.0.0.1",)), EGRESS, BITMART)
    assert [w.code for w in missing.warnings] == ["ip_whitelist_incomplete"]
    assert "127.0.0.3" in missing.warnings[0].message
    assert [w.code for w in audit(report(ip_whitelist=()), EGRESS, BITMART).warnings] == ["ip_unrestricted"]
    unknown = audit(report(ip_whitelist=None), EGRESS, BITMART)
    assert [w.code for w in unknown.warnings] == ["ip_whitelist_unknown"]


def test_unconfirmed_signature_is_not_trusted() -> None:
    a = audit(report(signature_valid=None), EGRESS, BITMART)
    assert a.verdict is Verdict.REFUSED
