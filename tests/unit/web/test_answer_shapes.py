"""The answer models name exactly what the services' results put on the wire: each result's JSON
shape validates against its model (which refuses a key it does not name), so a key added to a
result without its model fails here, not as a 500 in front of a user."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from pydantic import BaseModel

from perpdesk.core.errors import InvalidOrder
from perpdesk.core.ledger import Fill
from perpdesk.core.models import Balance, MarginMode, Position, PositionSide
from perpdesk.exchanges.registry import Venue
from perpdesk.services import errors_text as T
from perpdesk.services.account_views import AccountView
from perpdesk.services.audit_log import AuditView, NoticeView
from perpdesk.services.equity_history import EquityPoint
from perpdesk.services.fast_connect_outcome import Outcome
from perpdesk.services.key_audit import Audit, Verdict
from perpdesk.services.notifications import Prefs
from perpdesk.services.pnl_history import FillRow, PnlRow
from perpdesk.services.portfolio import AccountSnapshot, IntentView, PositionView
from perpdesk.services.terminal_orders import ConditionalPlacement
from perpdesk.services.trading import ChangeOutcome, Placement
from perpdesk.services.trading.access import AccountRef
from perpdesk.services.webhook_test_send import SendTestOutcome
from perpdesk.store.order_records import ChangeKind, ChangeStatus, IntentStatus
from perpdesk.web.accounts import schemas as A
from perpdesk.web.portfolio import schemas as P
from perpdesk.web.terminal import schemas as Tm
from perpdesk.web.trading import schemas as Tr

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
D = Decimal("1.5")
ACCOUNT = AccountView(
    id="a1", label="Main", exchange="bitmart", market="futures", method="manual", status="active",
    api_key_mask="abcd…wxyz", permissions=("future_trade",), ip_whitelist=None, warnings=(),
    balances=({"currency": "USDT", "equity": "1", "available": "1", "unrealized_pnl": "0"},),
    last_check_at=NOW, last_error=None, created_at=NOW, venue=Venue("bitmart", "http://127.0.0.1:1", "ws://x"),
)
AUDIT = Audit(Verdict.AWAITING_WHITELIST, T.NOT_WHITELISTED, warnings=(T.NOT_WHITELISTED,),
              balances=(Balance("USDT", D, D),), ip_whitelist=("127.0.0.1",), account_id="123")
REF = AccountRef("a1", "u1", "bitmart", "Main", "active")
POSITION = Position("BTCUSDT", PositionSide.LONG, D, D, D, Decimal(10), MarginMode.CROSS, D, D, D)
REFUSED = InvalidOrder("price: off the tick", field="price", problem="off the tick", next_step="Round it.")
PLACED = Placement("c1", IntentStatus.REJECTED, "BTCUSDT", "buy_open_long", "limit", D, D, error=REFUSED,
                   decided_after=NOW)

CASES: list[tuple[type[BaseModel], object]] = [
    (A.AccountOut, ACCOUNT.to_dict()),
    (A.InspectionOut, AUDIT.to_dict()),
    (A.ConnectedAnswer, {"account": ACCOUNT.to_dict(), "inspection": AUDIT.to_dict(), "message": "ok"}),
    (A.FastConnectStatus, Outcome("connected", T.NOT_WHITELISTED, ACCOUNT, (T.NOT_WHITELISTED,)).to_dict()),
    (A.AuditEntryOut, AuditView(NOW, "user", "connect", "a1", {"why": 1}).to_dict()),
    (A.NoticeOut, NoticeView("n1", NOW, "revoked", "text", None).to_dict()),
    (A.DisconnectedAnswer, {"disconnected": "a1", "warnings": [T.NOT_WHITELISTED.to_dict()]}),
    (Tr.PlacementOut, PLACED.to_dict()),
    (Tr.ChangeOut, ChangeOutcome(ChangeKind.CANCEL, ChangeStatus.UNKNOWN, "m", "n", "ch1", NOW).to_dict()),
    (Tr.IntentOut, IntentView("c1", "order", "BTCUSDT", "buy_open_long", "limit", D, None, "placed", "o1",
                              None, None, NOW.isoformat()).to_dict()),
    (Tr.SnapshotOut, AccountSnapshot(REF, [Balance("USDT", D, D)], [PositionView(POSITION)],
                                     errors={"orders": {"code": "x", "message": "y"}}).to_dict()),
    (Tm.ConditionalPlacementOut,
     ConditionalPlacement("plan", "BTCUSDT", "rejected", None, None, REFUSED).to_dict()),
    (P.PnlRowOut, PnlRow(NOW.date(), D, -D, D).to_dict()),
    (P.FillRowOut,
     FillRow(REF, Fill("t1", "o1", "BTCUSDT", "buy_open_long", D, D, D, D, 1_764_000_000_000)).to_dict()),
    (P.EquityPointOut, EquityPoint(NOW, D, D).to_dict()),
    (P.NotifySettingsAnswer, Prefs(D, "https://example.com/hook", True).to_dict()),
    (P.TestSentAnswer, SendTestOutcome("d1", False, None, "ConnectError").to_dict()),
]


@pytest.mark.parametrize(("model", "shape"), CASES, ids=[m.__name__ for m, _ in CASES])
def test_a_result_validates_against_its_answer_model(model: type[BaseModel], shape: object) -> None:
    model.model_validate(shape)


def test_an_answer_refuses_a_key_it_does_not_name() -> None:
    with pytest.raises(ValueError, match="extra_forbidden"):
        A.AccountOut.model_validate({**ACCOUNT.to_dict(), "secret": "x"})
