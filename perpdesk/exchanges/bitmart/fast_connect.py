"""Fast Connect, client side: OAuth 2.0 authorisation code + PKCE S256 (see spec/fast-connect.md).

The code is redeemed at the token endpoint (client_secret_basic, form-encoded); the token answer
carries the issued key (api_key, secret_key, memo), its permissions and its IP whitelist.
"""

from __future__ import annotations

import base64
import json
import secrets
import ssl
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote, urlencode

from perpdesk.core.errors import ExchangeError, ExchangeUnavailable
from perpdesk.core.models import Credentials, IssuedKey, Permission
from perpdesk.exchanges.bitmart.rest import USER_AGENT
from perpdesk.http import HttpClient, HttpRequest, HttpResponse, TransportError

_PERMISSIONS = {p.value: p for p in Permission}


def new_state() -> str:
    return secrets.token_urlsafe(32)


class FastConnectFailed(ExchangeError):
    code = "fast_connect_failed"
    next_step = "Start Fast Connect again from the platform; the exchange's one-time code is used up."


class BitmartFastConnect:
    """The exchange's OAuth endpoints over the connector's own HTTP client (same egress: source
    address or proxy). The client authenticates with HTTP Basic (client_secret_basic)."""

    def __init__(
        self,
        authorize_url_base: str,
        token_url: str,
        revoke_url: str,
        client_id: str,
        client_secret: str,
        scope: str = "future_trade",
        *,
        source_address: str | None = None,
        proxy: str | None = None,
        timeout_s: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.authorize_url_base = authorize_url_base
        self.token_url = token_url
        self.revoke_url = revoke_url
        self.client_id = client_id
        self.scope = scope
        self._timeout_s = timeout_s
        self.http = HttpClient(source_address=source_address, proxy=proxy, ssl_context=ssl_context)
        # RFC 6749 2.3.1: id and secret are form-encoded before Basic encoding
        basic = f"{quote(client_id, safe='')}:{quote(client_secret, safe='')}".encode()
        self._auth_header = "Basic " + base64.b64encode(basic).decode()

    async def aclose(self) -> None:
        await self.http.aclose()

    def __repr__(self) -> str:
        return f"BitmartFastConnect(client_id={self.client_id!r}, token_url={self.token_url!r})"

    def authorize_url(self, *, state: str, code_challenge: str, redirect_uri: str,
                      ip_whitelist: Sequence[str], label: str | None = None) -> str:
        query: dict[str, str] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scope,
            "state": state,
            "code_challenge": code_challenge,
            "code_challenge_method": "S256",
            "ip_whitelist": ",".join(ip_whitelist),
        }
        if label:
            query["label"] = label
        sep = "&" if "?" in self.authorize_url_base else "?"
        return f"{self.authorize_url_base}{sep}{urlencode(query)}"

    async def _post_form(self, url: str, form: dict[str, str], what: str) -> HttpResponse:
        headers = [
            ("Authorization", self._auth_header),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
            ("User-Agent", USER_AGENT),
        ]
        request = HttpRequest.to("POST", url, headers=headers, body=urlencode(form).encode(),
                                 timeout_s=self._timeout_s)
        try:
            return await self.http.request(request)
        except TransportError as exc:
            raise ExchangeUnavailable(f"The exchange's {what} endpoint did not answer: {exc}") from None

    async def redeem(self, *, code: str, code_verifier: str, redirect_uri: str) -> IssuedKey:
        response = await self._post_form(
            self.token_url,
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
             "code_verifier": code_verifier},
            "token",
        )
        try:
            token = json.loads(response.body)
        except ValueError:
            token = None
        if not isinstance(token, dict):
            raise FastConnectFailed(f"The token endpoint answered HTTP {response.status} without JSON.")
        if response.status != 200 or "error" in token:
            error = token.get("error", f"http_{response.status}")
            description = token.get("error_description")
            detail = f" ({description})" if description else ""
            raise FastConnectFailed(f"The exchange refused the Fast Connect code: {error}{detail}")
        return issued_key(token)

    async def revoke(self, api_key: str) -> None:
        response = await self._post_form(self.revoke_url, {"api_key": api_key}, "revocation")
        if response.status != 200:
            raise FastConnectFailed(
                f"The exchange refused to revoke the key (HTTP {response.status}): "
                f"{response.body[:200].decode('utf-8', 'replace')}",
                http_status=response.status,
                next_step="Delete the key by hand on the exchange's API Management page.",
            )


def issued_key(token: dict[str, Any]) -> IssuedKey:
    """The key inside a token answer; refuses an answer that lacks any of the three parts."""
    missing = [k for k in ("api_key", "secret_key", "memo") if not token.get(k)]
    if missing:
        raise FastConnectFailed(f"The exchange's token answer lacks {', '.join(missing)}.")
    raw_perms = token.get("permissions") or []
    if isinstance(raw_perms, str):
        raw_perms = raw_perms.replace(",", " ").split()
    perms = frozenset(_PERMISSIONS[p] for p in raw_perms if p in _PERMISSIONS)
    raw_ips = token.get("ip_whitelist") or []
    if isinstance(raw_ips, str):
        raw_ips = [ip for ip in raw_ips.split(",") if ip]
    return IssuedKey(
        credentials=Credentials(str(token["api_key"]), str(token["secret_key"]), str(token["memo"])),
        permissions=perms | {Permission.READ},
        ip_whitelist=tuple(str(ip) for ip in raw_ips),
        label=str(token["key_label"]) if token.get("key_label") else None,
    )
