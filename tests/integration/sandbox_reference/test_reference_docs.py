"""The committed reference data (REST endpoints, WebSocket channels, error codes) and the parser
that writes it, the latter on a page shaped like BitMart's."""

from __future__ import annotations

from tests.integration.sandbox_reference.reference_docs import error_codes, rest_endpoints
from tests.integration.sandbox_reference.reference_parser import rest_endpoint, sections, ws_reference
from tests.integration.sandbox_reference.ws_reference_docs import load_ws_reference


def test_rest_endpoints_are_read_with_params_and_examples() -> None:
    endpoints = {e.path: e for e in rest_endpoints()}
    assert len(endpoints) == 46
    submit = endpoints["/contract/private/submit-order"]
    assert (submit.method, submit.auth) == ("POST", "SIGNED")
    assert submit.params["side"] == ("Int", True) and submit.params["mode"] == ("Int", False)
    assert submit.example_data == {"order_id": 220609666322019, "price": "25637.2"}
    details = endpoints["/contract/public/details"]
    assert details.auth == "NONE" and len(details.example_data["symbols"]) == 1  # "..." dropped
    assert details.field_types["contract_size"] == "String"
    v2 = endpoints["/contract/private/position-v2"]
    assert v2.example_data[0]["position_side"] == "both" and "position_amount" in v2.fields
    affiliate = endpoints["/contract/private/affiliate/trade-list"]
    assert affiliate.example_data["list"][0]["symbol"] == "BTCUSDT"  # printed without the envelope


def test_websocket_channels_with_examples_and_fields() -> None:
    reference = load_ws_reference()
    assert len(reference.channels(private=False)) == 31 and len(reference.channels(private=True)) == 3
    ticker = reference.section_of("futures/ticker")
    assert ticker.examples[0]["group"] == "futures/ticker:BTCUSDT" and ticker.fields["last_price"] == "String"
    public = set(reference.channels(private=False))
    assert {"futures/depth5", "futures/depthIncrease20", "futures/klineBin1m"} <= public
    assert any(a["action"] == "access" and a["success"] is False for a in reference.acks)


def test_error_codes_with_http_status() -> None:
    codes = error_codes()
    assert codes[30007] == 401 and codes[40011] == 400 and codes[40048] == 403 and codes[42000] == 200


PAGE = """# Futures Market Data

## Get Ticker (NONE)

#### Request URL

`GET https://api-cloud-v2.bitmart.com/contract/public/ticker`

#### Request Parameter

> Request

`curl https://api-cloud-v2.bitmart.com/contract/public/ticker?symbol=BTCUSDT`

| Field | Type | Required? | Description |
| --- | --- | --- | --- |
| symbol | String | Yes | Symbol of the contract

#### Response Data

> Response

`{ "code": 1000, "data": { "rows": [ { "symbol": "BTCUSDT" }, ... ] } }`

| Field | Type | Description |
| --- | --- | --- |
| rows | List[] | The rows
| symbol | String | Symbol of the contract

## 【Public】Ticker Channel

| Channel | Description |
| --- | --- |
| futures/ticker | Ticker |

> Subscribe Request

`{"action": "subscribe", "args": ["futures/ticker:BTCUSDT", "futures/tickerAll"]}`

`{"group": "futures/ticker:BTCUSDT", "data": {"symbol": "BTCUSDT", "last_price": "1"}}`

| **symbol** | String | Symbol |
"""


def test_parser_reads_sections_blocks_endpoints_and_channels() -> None:
    found = sections(PAGE)
    assert [(s.title, s.level) for s in found] == [("Get Ticker (NONE)", 2), ("【Public】Ticker Channel", 2)]
    assert [(b.label, b.part) for b in found[0].blocks] == [
        ("", "Request URL"), ("Request", "Request Parameter"), ("Response", "Response Data")]
    endpoint = rest_endpoint("futures_market_data.md", found[0])
    assert endpoint is not None
    assert (endpoint["method"], endpoint["auth"]) == ("GET", "NONE")
    assert endpoint["path"] == "/contract/public/ticker"
    assert endpoint["params"] == {"symbol": ["String", True]}
    assert endpoint["request_example"].startswith("curl ")
    assert endpoint["response"]["data"] == {"rows": [{"symbol": "BTCUSDT"}]}  # "..." dropped
    assert endpoint["fields"] == {"rows": "List[]", "symbol": "String"}
    assert rest_endpoint("futures_market_data.md", found[1]) is None  # no request URL
    ws = ws_reference(PAGE)
    (section,) = ws["sections"]
    assert section["private"] is False
    assert section["channels"] == ["futures/ticker", "futures/tickerAll"]
    assert section["examples"] == [{"group": "futures/ticker:BTCUSDT",
                                    "data": {"symbol": "BTCUSDT", "last_price": "1"}}]
    assert section["fields"] == {"symbol": "String"}
