"""One JSON error shape for the whole API, declared in the OpenAPI and answered by every kind of
failure (not signed in, CSRF, unknown route, validation)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx

from perpdesk.settings import Settings
from perpdesk.web.app import create_app

KEYS = {"code", "message", "field", "next_step"}


def _app(tmp_path: Path) -> Any:
    return create_app(Settings(data_dir=tmp_path, master_key=base64.b64encode(bytes(32)).decode()))


def test_openapi_declares_the_envelope_on_every_api_route(tmp_path: Path) -> None:
    spec = _app(tmp_path).openapi()
    schemas = spec["components"]["schemas"]
    assert set(schemas["ErrorEnvelope"]["required"]) == {"error"}
    assert {"code", "message"} <= set(schemas["ApiError"]["required"])
    assert "HTTPValidationError" not in schemas  # FastAPI's own 422 shape is not what we answer
    ops = [(path, op) for path, item in spec["paths"].items() for op in item.values()]
    assert len(ops) > 20
    for path, op in ops:
        for status in ("401", "404", "422"):
            ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
            assert ref.endswith("/ErrorEnvelope"), (path, status)


async def test_every_failure_answers_the_envelope(tmp_path: Path) -> None:
    transport = httpx.ASGITransport(app=_app(tmp_path))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8800") as client:
        answers = [
            (401, await client.get("/api/accounts")),
            (403, await client.post("/api/accounts", json={"api_key": "k"})),
            (404, await client.get("/api/no-such-route")),
        ]
    for status, r in answers:
        assert r.status_code == status, r.text
        body = r.json()
        assert set(body) == {"error"} and KEYS <= set(body["error"]), body
        assert body["error"]["code"] and body["error"]["message"]


def test_an_exchange_refusal_is_shown_in_our_words_not_its_raw_text() -> None:
    from perpdesk.exchanges.bitmart.codes import to_error
    from perpdesk.web.error_envelope import public_message
    from perpdesk.web.templating import templates

    raw = "The Symbol is not exist (symbol Zq7canary<b>x</b>)"
    for code in (40034, 49999, None):  # a known code, an unknown one, none at all
        err = to_error(400, code, raw)
        assert "canary" in err.message  # kept for the logs and the order's record
        assert "canary" not in public_message(err) and public_message(err)
        assert "canary" not in templates.env.from_string("{{ e | public }}").render(e=err)
    assert public_message(to_error(400, 40034, raw)) == "This contract does not exist."
