"""What makes two tickets "the same" (one order per intention), and how the refusal names the one
being sent, in the API's error envelope. Pure: no database, no exchange."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from perpdesk.services.in_flight import TicketTerms, refusal
from perpdesk.store.order_records import FIRST_SLOT, ClaimRecord
from perpdesk.web.error_responses import perpdesk_error_body


def terms(**over: object) -> TicketTerms:
    base: dict[str, object] = dict(kind="order", symbol="ETHUSDT", side="buy_open_long", size=Decimal("1"),
                                   price=Decimal("3000"), extra=("order", "limit"))
    base.update(over)
    return TicketTerms(**base)  # type: ignore[arg-type]


def test_the_same_terms_are_the_same_ticket_whatever_their_spelling() -> None:
    assert terms().key == terms(size=Decimal("1.00"), price=Decimal("3000.0")).key
    others = [terms(size=Decimal(2)), terms(price=Decimal("3001")), terms(side="sell_open_short"),
              terms(symbol="BTCUSDT"), terms(kind="close"), terms(extra=("order", "market")),
              terms(price=None)]
    assert len({t.key for t in [terms(), *others]}) == 1 + len(others)


def test_the_refusal_names_the_pending_order_in_the_envelope() -> None:
    since = datetime(2026, 12, 7, 1, 2, 3, tzinfo=UTC)
    claim = ClaimRecord(
        id="c1", user_id="u", account_id="a", ticket_key=terms().key, slot=FIRST_SLOT, kind="order",
        client_order_id="pd123", symbol="ETHUSDT", side="buy_open_long", size=Decimal("1"),
        price=Decimal("3000"), owner="o", since=since, expires_at=since,
    )
    err = refusal(claim)
    assert err.code == "duplicate_ticket"
    assert err.message == ("The same order pd123 (buy (open long) 1 ETHUSDT at 3000) is being sent since "
                           "01:02:03 UTC; its outcome is not known yet.")
    body = perpdesk_error_body(err)["error"]
    assert isinstance(body, dict)
    assert body["code"] == "duplicate_ticket" and "confirm_duplicate" in str(body["next_step"])
    assert body["pending"] == {"client_order_id": "pd123", "kind": "order", "symbol": "ETHUSDT",
                               "side": "buy_open_long", "size": "1", "price": "3000",
                               "since": "2026-12-07T01:02:03+00:00"}
