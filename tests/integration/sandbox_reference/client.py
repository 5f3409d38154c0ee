"""A minimal BitMart REST client for the reference tests: every call signed (KEYED endpoints
ignore the signature), answers returned as (HTTP status, envelope)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx


class RawClient:
    def __init__(self, base_url: str, key: dict[str, Any] | None = None) -> None:
        self.base_url = base_url
        self.key = key
        self.http = httpx.Client(base_url=base_url, timeout=10)

    def close(self) -> None:
        self.http.close()

    def _headers(self, payload: str) -> dict[str, str]:
        if self.key is None:
            return {}
        ts = str(int(time.time() * 1000))
        message = f"{ts}#{self.key['memo']}#{payload}".encode()
        sign = hmac.new(self.key["secret_key"].encode(), message, hashlib.sha256).hexdigest()
        return {"X-BM-KEY": self.key["api_key"], "X-BM-TIMESTAMP": ts, "X-BM-SIGN": sign}

    def call(self, method: str, path: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
        params = params or {}
        if method == "GET":
            query = urlencode(params)
            r = self.http.get(path + ("?" + query if query else ""), headers=self._headers(query))
        else:
            body = json.dumps(params)
            headers = {"Content-Type": "application/json", **self._headers(body)}
            r = self.http.post(path, content=body, headers=headers)
        return r.status_code, r.json()

    def ok(self, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
        status, doc = self.call(method, path, params)
        assert status == 200 and doc["code"] == 1000, (path, params, status, doc)
        return doc["data"]
