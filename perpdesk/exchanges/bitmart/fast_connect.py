"""Fast Connect, client side: OAuth 2.0 authorisation code + PKCE S256 (see spec/fast-connect.md).

Code redemption goes through Authlib's AsyncOAuth2Client (client_secret_basic); the token answer
carries the issued key (api_key, secret_key, memo), its permissions and its IP whitelist.
"""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.errors import AuthlibBaseError

from perpdesk.core.errors import ExchangeError, ExchangeUnavailable
from perpdesk.core.models import Credentials, IssuedKey, Permission

_PERMISSIONS = {p.value: p for p in Permission}


def new_state() -> str:
    return secrets.token_urlsafe(32)


class FastConnectFailed(ExchangeError):
    code = "fast_connect_failed"
    next_step = "Start Fast Connect again from the platform; the exchange's one-time code is used up."


class BitmartFastConnect:
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
    ) -> None:
        self.authorize_url_base = authorize_url_base
        self.token_url = token_url
        self.revoke_url = revoke_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self._source_address = source_address
        self._proxy = proxy
        self._timeout_s = timeout_s

    async def aclose(self) -> None:
        """Nothing to close: each call opens and closes its own connection."""

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

    def _client_kwargs(self) -> dict[str, Any]:
        transport = httpx.AsyncHTTPTransport(local_address=self._source_address, proxy=self._proxy)
        return {"transport": transport, "timeout": self._timeout_s, "trust_env": False}

    async def redeem(self, *, code: str, code_verifier: str, redirect_uri: str) -> IssuedKey:
        with warnings.catch_warnings():  # Authlib nags about httpx2, which it falls back from
            warnings.simplefilter("ignore")
            from authlib.integrations.httpx_client import AsyncOAuth2Client
        async with AsyncOAuth2Client(
            client_id=self.client_id, client_secret=self._client_secret,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 redirect_uri=redirect_uri,
            **self._client_kwargs(),
        ) as client:
            try:
                token = await client.fetch_token(
                    self.token_url, grant_type="authorization_code", code=code,
                    code_verifier=code_verifier, redirect_uri=redirect_uri,
                )
            except AuthlibBaseError as exc:
                raise FastConnectFailed(
                    f"The exchange refused the Fast Connect code: {exc.error}"
                    + (f" ({exc.description})" if exc.description else "")
                ) from None
            except httpx.HTTPError as exc:
                raise ExchangeUnavailable(f"The exchange's token endpoint did not answer: {exc}") from None
        return issued_key(dict(token))

    async def revoke(self, api_key: str) -> None:
        async with httpx.AsyncClient(auth=httpx.BasicAuth(self.client_id, self._client_secret),
                                     **self._client_kwargs()) as client:
            try:
                response = await client.post(self.revoke_url, data={"api_key": api_key})
            except httpx.HTTPError as exc:
                raise ExchangeUnavailable(
                    f"The exchange's revocation endpoint did not answer: {exc}") from None
        if response.status_code != 200:
            raise FastConnectFailed(
                f"The exchange refused to revoke the key (HTTP {response.status_code}): "
                f"{response.text[:200]}",
                http_status=response.status_code,
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
