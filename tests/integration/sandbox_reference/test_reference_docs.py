"""The reference parser itself: sections, labelled code blocks, REST endpoints and error codes."""

from __future__ import annotations

import pytest

from tests.integration.sandbox_reference.reference_docs import (
    error_codes,
    reference_dir,
    rest_endpoints,
    section_blocks,
)

pytestmark = pytest.mark.skipif(not reference_dir().is_dir(), reason="BitMart reference not present")


def test_rest_endpoints_are_read_with_params_and_examples() -> None:
    endpoints = {e.path: e for e in rest_endpoints()}
    assert len(endpoints) == 46
    submit = endpoints["/contract/private/submit-order"]
    assert (submit.method, submit.auth) == ("POST", "SIGNED")
    assert submit.params["side"] == ("Int", True) and submit.params["mode"] == ("Int", False)
    assert submit.example_data == {"order_id": 220609666322019, "price": "25637.2"}
    details = endpoints["/contract/public/details"]
    assert details.auth == "NONE" and len(details.example_data["symbols"]) == 1  # "..." dropped
    v2 = endpoints["/contract/private/position-v2"]
    assert v2.example_data[0]["position_side"] == "both" and "position_amount" in v2.fields
    affiliate = endpoints["/contract/private/affiliate/trade-list"]
    assert affiliate.example_data["list"][0]["symbol"] == "BTCUSDT"  # printed without the envelope


def test_websocket_sections_give_their_labelled_blocks() -> None:
    sections = section_blocks("websocket_subscription.md")
    parsed = [b.json() for _, blocks in sections for b in blocks if b.text.startswith("{")]
    assert len(parsed) > 40
    assert any(b.label == "Subscribe Request" for _, blocks in sections for b in blocks)
    assert any("depth" in title.lower() for title, _ in sections)


def test_error_codes_with_http_status() -> None:
    codes = error_codes()
    assert codes[30007] == 401 and codes[40011] == 400 and codes[40048] == 403 and codes[42000] == 200
