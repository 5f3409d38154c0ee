"""Every number a user types or sends is parsed by perpdesk.core.decimal_input: ASCII decimal notation
only, bounded, and a bad one is a 422 naming the field without repeating the value."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from perpdesk.core.decimal_input import NumberError, parse_number
from tests.fixtures.sandbox import SandboxServer

BAD = [
    "１２３",  # full-width digits
    "١٢٣",  # Arabic-Indic digits
    "1_000",
    "NaN",
    "sNaN",
    "Infinity",
    "-inf",
    "1E+999999999",
    "1e-99999999999999999999",
    "1" * 40,
    "0x10",
    "1,5",
    "",
]


@pytest.mark.parametrize("raw", BAD)
def test_parse_number_refuses_everything_but_plain_bounded_decimals(raw: str) -> None:
    with pytest.raises(NumberError) as caught:
        parse_number(raw, "price")
    assert caught.value.field == "price"
    assert raw not in caught.value.message or not raw
    assert raw not in caught.value.next_step or not raw


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("123", "123"), (" 1.50 ", "1.50"), ("-2", "-2"), (".5", "0.5"), ("2.5e3", "2500"), (7, "7")],
)
def test_parse_number_reads_plain_decimals_exactly(raw: object, expected: str) -> None:
    assert parse_number(raw, "size") == Decimal(expected)


@pytest.mark.parametrize("raw", [1.5, True])
def test_parse_number_refuses_floats_and_booleans(raw: object) -> None:
    with pytest.raises(NumberError):
        parse_number(raw, "size")


def test_positive_numbers_refuse_zero_and_negatives() -> None:
    for raw in ("0", "-1", "-0.0"):
        with pytest.raises(NumberError, match="greater than zero"):
            parse_number(raw, "size", positive=True)


def _assert_refused(r: Any, field: str, raw: str) -> None:
    assert r.status_code == 422, (r.status_code, r.text)
    assert field in r.text
    assert raw not in r.text


BAD_API = ["１２３", "١٢٣", "1_000", "1E+999999999", "NaN", "Infinity"]


@pytest.mark.parametrize("raw", BAD_API)
async def test_json_api_refuses_bad_numbers_by_field(
    make_api_user: Any, sandbox: SandboxServer, raw: str
) -> None:
    user = await make_api_user()
    account_id, _ = await user.connect(sandbox)
    base = f"/api/accounts/{account_id}"
    ticket = {"symbol": "BTCUSDT", "side": "buy", "type": "limit", "size": "1", "price": "100"}
    for field in ("price", "size", "leverage", "take_profit", "stop_loss"):
        r = await user.http.post(base + "/orders", json={**ticket, field: raw})
        _assert_refused(r, field, raw)
    r = await user.http.patch(base + "/orders/123", json={"symbol": "BTCUSDT", "price": raw})
    _assert_refused(r, "price", raw)
    r = await user.http.post(
        base + "/leverage", json={"symbol": "BTCUSDT", "leverage": raw, "margin_mode": "cross"}
    )
    _assert_refused(r, "leverage", raw)
    r = await user.http.post(base + "/tp-sl", json={"symbol": "BTCUSDT", "side": "long", "stop_loss": raw})
    _assert_refused(r, "stop_loss", raw)
    orders = await user.http.get(base + "/orders", params={"state": "intents"})
    assert orders.json()["intents"] == []  # nothing reached the exchange


@pytest.mark.parametrize("raw", ["１２３", "1_000", "1E+999999999"])
async def test_trade_forms_refuse_bad_numbers_by_field(
    make_api_user: Any, sandbox: SandboxServer, raw: str
) -> None:
    user = await make_api_user()
    account_id, _ = await user.connect(sandbox)
    page = f"/accounts/{account_id}/trade"
    ticket = {
        "symbol": "BTCUSDT",
        "side": "buy",
        "type": "limit",
        "size": "1",
        "price": "100",
        "time_in_force": "gtc",
    }
    for field in ("price", "size", "take_profit"):
        r = await user.http.post(page + "/orders", data={**ticket, field: raw})
        assert r.status_code == 422, (field, r.status_code)
    r = await user.http.post(
        page + "/orders/amend", data={"symbol": "BTCUSDT", "order_id": "1", "price": raw}
    )
    assert r.status_code == 422
    r = await user.http.post(
        page + "/leverage", data={"symbol": "BTCUSDT", "leverage": raw, "margin_mode": "cross"}
    )
    assert r.status_code == 422
    r = await user.http.post(page + "/tp-sl", data={"symbol": "BTCUSDT", "side": "long", "take_profit": raw})
    assert r.status_code == 422
    orders = await user.http.get(f"/api/accounts/{account_id}/orders", params={"state": "intents"})
    assert orders.json()["intents"] == []
