"""Every kind of failure answers the one envelope, built by the one serializer: a raised error (bad
input, rate limit), a validation error, an HTTP error (unknown route, wrong method), the body cap,
the CSRF check and an unexpected exception. Each names the problem (code, message, field, next
step) and none echoes what was sent."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from perpdesk.settings import Settings
from perpdesk.web.app import create_app

CANARY = "Zq7canary"
KEYS = {"code", "message", "field", "next_step"}


def _app(tmp_path: Path) -> FastAPI:
    settings = Settings(data_dir=tmp_path, master_key=base64.b64encode(bytes(32)).decode(),
                        rate_limit_factor=0.1)  # sign-ups: 1 a minute per client

    async def boom() -> None:
        raise RuntimeError(CANARY)

    app = create_app(settings)
    app.add_api_route("/api/boom", boom)  # an unexpected failure inside a route
    return app


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = _app(tmp_path)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # the 500 is answered
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8800") as c:
            token = (await c.get("/api/auth/csrf")).json()["csrf_token"]
            c.headers["x-csrf-token"] = token
            yield c


def _envelope(r: httpx.Response, status: int) -> dict[str, object]:
    assert r.status_code == status, r.text
    assert CANARY not in r.text
    body = r.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert KEYS <= set(error), error
    assert error["code"] and error["message"] and error["next_step"], error
    return dict(error)


async def test_every_source_of_failure_answers_the_same_envelope(client: httpx.AsyncClient) -> None:
    password = "a long enough pass phrase 7"
    errors = {
        "validation": _envelope(await client.post("/api/auth/signup", json={"email": [CANARY]}), 422),
        "input": _envelope(
            await client.post("/api/auth/signup", json={"email": f"{CANARY}@", "password": password}), 422),
        "unknown route": _envelope(await client.get(f"/api/{CANARY}"), 404),
        "wrong method": _envelope(await client.delete("/api/auth/csrf"), 405),
        "body cap": _envelope(await client.post("/api/auth/signup", content=CANARY * 20_000), 413),
        "csrf": _envelope(
            await client.post("/api/auth/signin", json={"email": CANARY}, headers={"x-csrf-token": CANARY}),
            403),
        "unexpected": _envelope(await client.get("/api/boom"), 500),
    }
    assert errors["validation"]["field"] == "email" and errors["input"]["field"] == "email"
    assert errors["body cap"]["code"] == "body_too_large" and errors["csrf"]["code"] == "csrf_failed"
    assert errors["unexpected"]["code"] == "internal_error"
    assert {e["code"] for e in errors.values()} >= {"invalid_input", "http_404", "http_405"}


async def test_a_rate_limit_answers_the_envelope_with_retry_after(client: httpx.AsyncClient) -> None:
    body = {"email": "first@example.com", "password": "a long enough pass phrase 7"}
    assert (await client.post("/api/auth/signup", json=body)).status_code == 201
    r = await client.post("/api/auth/signup", json={**body, "email": f"{CANARY}@example.com"})
    error = _envelope(r, 429)
    assert error["code"] == "too_many_attempts" and int(r.headers["retry-after"]) > 0
