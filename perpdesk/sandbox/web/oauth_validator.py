"""The sandbox's OAuth request validator for oauthlib: clients, redirect URIs, scopes, PKCE (S256
only), authorisation codes and the key handed out with the token.

oauthlib's validator is synchronous, so the async handlers in oauth.py do the I/O (client secret
check, key lookup) first and hand the results over in the context variables below.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from oauthlib.common import Request as OAuthRequest
from oauthlib.oauth2 import RequestValidator
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from perpdesk.sandbox.web.backend import ClientView, KeyView
from perpdesk.sandbox.web.common import WebState
from perpdesk.sandbox.web.oauth_grants import Grant, GrantStore

SCOPES = ("future_trade", "spot_trade")

# Handed from the async handlers to the synchronous validator, per request.
AUTHENTICATED: contextvars.ContextVar[str | None] = contextvars.ContextVar("oauth_client", default=None)
PREFETCHED: contextvars.ContextVar[tuple[KeyView, str] | None] = contextvars.ContextVar(
    "oauth_key", default=None
)
REPLAYED: contextvars.ContextVar[list[Grant]] = contextvars.ContextVar("oauth_replayed")


@dataclass
class _Client:
    client_id: str


class Validator(RequestValidator):
    def __init__(self, state: WebState, grants: GrantStore) -> None:
        self.state = state
        self.grants = grants

    def _client(self, client_id: str | None) -> ClientView | None:
        return self.state.backend.oauth_client(client_id) if client_id else None

    # -- authorisation request -----------------------------------------------------------------
    def validate_client_id(self, client_id: str, request: OAuthRequest, *a: Any, **kw: Any) -> bool:
        client = self._client(client_id)
        if client is None:
            return False
        request.client = client
        return True

    def validate_redirect_uri(self, client_id: str, redirect_uri: str, request: OAuthRequest,
                              *a: Any, **kw: Any) -> bool:
        client = self._client(client_id)
        return client is not None and redirect_uri in client.redirect_uris  # exact match only

    def get_default_redirect_uri(self, client_id: str, request: OAuthRequest, *a: Any, **kw: Any) -> None:
        return None  # redirect_uri is always required

    def validate_response_type(self, client_id: str, response_type: str, client: Any,
                               request: OAuthRequest, *a: Any, **kw: Any) -> bool:
        return response_type == "code"

    def validate_scopes(self, client_id: str, scopes: list[str], client: Any, request: OAuthRequest,
                        *a: Any, **kw: Any) -> bool:
        return bool(scopes) and all(s in SCOPES for s in scopes)

    def get_default_scopes(self, client_id: str, request: OAuthRequest, *a: Any, **kw: Any) -> list[str]:
        return ["future_trade"]

    def is_pkce_required(self, client_id: str, request: OAuthRequest) -> bool:
        return True

    def save_authorization_code(self, client_id: str, code: dict[str, str], request: OAuthRequest,
                                *a: Any, **kw: Any) -> None:
        self.grants.add(
            code["code"],
            client_id=client_id,
            redirect_uri=request.redirect_uri,
            uid=request.uid,
            api_key=request.api_key,
            scopes=list(request.scopes or []),
            code_challenge=request.code_challenge,
            code_challenge_method=request.code_challenge_method,
            label=request.key_label,
        )

    # -- token request ---------------------------------------------------------------------------
    def client_authentication_required(self, request: OAuthRequest, *a: Any, **kw: Any) -> bool:
        return True

    def authenticate_client(self, request: OAuthRequest, *a: Any, **kw: Any) -> bool:
        client_id = AUTHENTICATED.get()
        if client_id is None:
            return False
        if request.client_id and request.client_id != client_id:
            return False
        request.client = _Client(client_id)
        return True

    def authenticate_client_id(self, client_id: str, request: OAuthRequest, *a: Any, **kw: Any) -> bool:
        return False  # no public clients

    def validate_grant_type(self, client_id: str, grant_type: str, client: Any, request: OAuthRequest,
                            *a: Any, **kw: Any) -> bool:
        return grant_type == "authorization_code"

    def validate_code(self, client_id: str, code: str, client: Any, request: OAuthRequest,
                      *a: Any, **kw: Any) -> bool:
        grant = self.grants.get(code)
        if grant is None or grant.client_id != client_id:
            return False
        if grant.used:
            REPLAYED.get().append(grant)  # RFC 6749 §4.1.2: revoke what the first use issued
            return False
        if self.grants.clock() > grant.expires_at:
            return False
        prefetched = PREFETCHED.get()
        if prefetched is None or prefetched[0].api_key != grant.api_key:
            return False  # the key was deleted at the exchange meanwhile
        request.grant = grant
        request.user = grant.uid
        request.scopes = list(grant.scopes)
        return True

    def get_code_challenge(self, code: str, request: OAuthRequest) -> str | None:
        grant = self.grants.get(code)
        return grant.code_challenge if grant else None

    def get_code_challenge_method(self, code: str, request: OAuthRequest) -> str | None:
        grant = self.grants.get(code)
        return grant.code_challenge_method if grant else None

    def confirm_redirect_uri(self, client_id: str, code: str, redirect_uri: str, client: Any,
                             request: OAuthRequest, *a: Any, **kw: Any) -> bool:
        grant = self.grants.get(code)
        return grant is not None and grant.redirect_uri == redirect_uri

    def save_bearer_token(self, token: dict[str, Any], request: OAuthRequest, *a: Any, **kw: Any) -> None:
        prefetched = PREFETCHED.get()
        assert prefetched is not None  # validate_code refused the request otherwise
        key, secret = prefetched
        grant: Grant = request.grant
        token.update(
            {
                "api_key": key.api_key,
                "secret_key": secret,
                "memo": key.memo,
                "permissions": list(key.permissions),
                "ip_whitelist": list(key.ip_whitelist),
                "key_label": key.label or grant.label,
                "created_at": key.created_at,
            }
        )
        self.grants.add_token(token["access_token"], grant.client_id, key.api_key)

    def invalidate_authorization_code(self, client_id: str, code: str, request: OAuthRequest,
                                      *a: Any, **kw: Any) -> None:
        grant = self.grants.get(code)
        if grant is not None:
            grant.used = True
            self.grants.save(grant)


def s256_only(request: OAuthRequest) -> dict[str, Any]:
    """PKCE with S256 is mandatory; 'plain' (or no method, which means plain) is refused."""
    if not request.code_challenge:
        raise oauth_errors.MissingCodeChallengeError(request=request)
    if request.code_challenge_method != "S256":
        raise oauth_errors.UnsupportedCodeChallengeMethodError(request=request)
    return {}
