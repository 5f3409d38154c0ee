"""Fast Connect authorisation server: OAuth 2.0 authorisation code + PKCE (S256), on oauthlib.

oauthlib does the protocol (parameter checks, PKCE, code redemption, RFC 6749 error bodies and
no-store headers); this module adds the consent page, the key creation and storage. oauthlib's
validator is synchronous, so everything that needs I/O (client secret check, key lookup) is
done before it runs and handed over in context variables.
"""

from __future__ import annotations

import base64
import secrets
from typing import Any
from urllib.parse import unquote_plus, urlencode

from oauthlib.common import add_params_to_uri
from oauthlib.oauth2 import (
    AuthorizationEndpoint,
    BearerToken,
    FatalClientError,
    OAuth2Error,
    TokenEndpoint,
)
from oauthlib.oauth2.rfc6749.grant_types import AuthorizationCodeGrant
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from perpdesk.sandbox.web.common import (
    WebState,
    current_user,
    form_data,
    render,
    sign_in_required,
)
from perpdesk.sandbox.web.input_errors import PageError
from perpdesk.sandbox.web.ipwhitelist import parse_ip_list
from perpdesk.sandbox.web.oauth_grants import CODE_TTL_S, Grant, GrantStore
from perpdesk.sandbox.web.oauth_validator import AUTHENTICATED, PREFETCHED, REPLAYED, Validator, s256_only

TOKEN_TTL_S = 600
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str | None, str | None]:
    """HTTP Basic (RFC 6749 §2.3.1, form-urlencoded parts) or client_secret_post."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, sep, secret = decoded.partition(":")
        if not sep:
            return None, None
        return unquote_plus(client_id), unquote_plus(secret)
    return form.get("client_id") or None, form.get("client_secret") or None


def _refused(redirect_uri: str, error: str, description: str, state: str | None) -> Response:
    """Back to the client with an RFC 6749 error (and its state, so it can match the answer)."""
    params = [("error", error), ("error_description", description)]
    if state:
        params.append(("state", state))
    return RedirectResponse(add_params_to_uri(redirect_uri, params), status_code=303)


def _error(error: str, description: str, status: int = 400) -> JSONResponse:
    headers = dict(_NO_STORE)
    if status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="bitmart-sandbox"'
    return JSONResponse({"error": error, "error_description": description}, status_code=status,
                        headers=headers)


def routes(state: WebState) -> list[BaseRoute]:
    grants = GrantStore(state.ctx.persist, code_ttl_s=state.ctx.config.oauth_code_ttl_s or CODE_TTL_S,
                        clock=state.ctx.identity.clock)
    validator = Validator(state, grants)
    grant_type = AuthorizationCodeGrant(validator, refresh_token=False, pre_auth=[s256_only])
    bearer = BearerToken(validator, expires_in=TOKEN_TTL_S)
    authorization = AuthorizationEndpoint("code", bearer, {"code": grant_type})
    token_endpoint = TokenEndpoint("authorization_code", bearer, {"authorization_code": grant_type})

    def _validate(uri: str) -> tuple[list[str], dict[str, Any]]:
        scopes, info = authorization.validate_authorization_request(uri, "GET", None, {})
        return list(scopes), info

    async def _drop_abandoned() -> None:
        for grant in grants.take_abandoned():
            await state.backend.delete_key(grant.api_key)
        grants.purge()

    async def authorize(request: Request) -> Response:
        await _drop_abandoned()
        session, user = await current_user(state, request)
        uri = str(request.url)
        try:
            scopes, info = _validate(uri)
        except FatalClientError as exc:  # bad client or redirect URI: shown here, never redirected
            return render(state, request, "oauth_error.html", session=session, user=user,
                          status_code=400, error=exc.error, description=exc.description)
        except OAuth2Error as exc:
            redirect_uri = request.query_params.get("redirect_uri", "")
            return RedirectResponse(add_params_to_uri(redirect_uri, exc.twotuples), status_code=303)
        except ValueError as exc:  # a query or redirect URI that does not even parse
            return render(state, request, "oauth_error.html", session=session, user=user,
                          status_code=400, error="invalid_request",
                          description=f"The authorisation link is malformed ({exc}). "
                                      "Start Fast Connect again from the platform.")
        client = state.backend.oauth_client(info["client_id"])
        assert client is not None
        redirect_uri = info["redirect_uri"]
        try:
            ips = parse_ip_list(request.query_params.get("ip_whitelist", ""), field="ip_whitelist")
        except PageError as exc:
            ips, problem = [], exc.message
        else:
            outside = [ip for ip in ips if ip not in client.ip_whitelist]
            problem = f"ip_whitelist: {', '.join(outside)} not registered for this client" if outside else ""
        if problem:
            return _refused(redirect_uri, "invalid_request", problem, info.get("state"))
        if session is None or user is None:
            return sign_in_required(state, request, session)
        consent_id = secrets.token_urlsafe(16)
        label = (request.query_params.get("label") or f"Fast Connect {client.name}")[:64]
        session.drafts[f"consent:{consent_id}"] = {"uri": uri, "ips": ips, "label": label,
                                                    "at": state.sessions.clock()}
        # A user may open several consents; keep only the latest few.
        consent_keys = [k for k in session.drafts if k.startswith("consent:")]
        for old in consent_keys[:-5]:
            session.drafts.pop(old, None)
        state.sessions.save(session)
        return render(state, request, "oauth_consent.html", session=session, user=user, client=client,
                      scopes=scopes, ips=ips, label=label, consent_id=consent_id)

    async def decide(request: Request) -> Response:
        session, user = await current_user(state, request)
        form = await form_data(request)
        if session is None or user is None:
            return render(state, request, "oauth_error.html", session=session, status_code=400,
                          error="login_required", description="Sign In again and restart from the platform.")
        draft = session.drafts.pop(f"consent:{form.get('consent_id', '')}", None)
        state.sessions.save(session)
        if not state.sessions.csrf_ok(session, form.get("csrf_token")) or draft is None:
            return render(state, request, "oauth_error.html", session=session, user=user, status_code=400,
                          error="invalid_request",
                          description="This authorisation expired or was already answered. "
                                      "Start Fast Connect again from the platform.")
        try:
            _scopes, info = _validate(draft["uri"])
        except OAuth2Error as exc:
            return render(state, request, "oauth_error.html", session=session, user=user,
                          status_code=400, error=exc.error, description=exc.description)
        client = state.backend.oauth_client(info["client_id"])
        assert client is not None
        redirect_uri, oauth_state = info["redirect_uri"], info.get("state")
        if form.get("decision") != "confirm":
            return _refused(redirect_uri, "access_denied", "The user cancelled the authorisation.",
                            oauth_state)
        granted = []
        if form.get("future_trade") == "on":
            granted.append("future_trade")
        if form.get("spot_trade") == "on":
            granted.append("spot_trade")
        memo = f"fastconnect{secrets.token_hex(6)}"
        try:
            key, _secret = await state.backend.create_key(
                user.uid, memo, {"read", *granted}, list(draft["ips"]), label=draft["label"],
                oauth_client_id=client.client_id,
            )
        except PageError as exc:
            return render(state, request, "oauth_error.html", session=session, user=user, status_code=400,
                          error="server_error", description=exc.message)
        headers, _body, _status = authorization.create_authorization_response(
            draft["uri"], "GET", None, {}, scopes=granted,
            credentials={"uid": user.uid, "api_key": key.api_key, "key_label": draft["label"]},
        )
        await state.ctx.persist.flush()  # the code must outlive a restart within its 5 minutes
        return render(state, request, "oauth_done.html", session=session, user=user, client=client,
                      location=headers["Location"], key=key)

    async def token(request: Request) -> Response:
        raw = (await request.body()).decode("utf-8", "replace")
        form = await form_data(request) if raw else {}
        client_id, secret = _client_credentials(request, form)
        authenticated = None
        if client_id and secret and await state.backend.verify_client_secret(client_id, secret):
            authenticated = client_id
        prefetched = None
        grant = grants.get(form.get("code", "")) if form.get("code") else None
        if grant is not None and authenticated == grant.client_id and not grant.used:
            prefetched = await state.backend.key_secret(grant.api_key)
        replayed: list[Grant] = []
        tokens = (AUTHENTICATED.set(authenticated), PREFETCHED.set(prefetched), REPLAYED.set(replayed))
        try:
            headers, body, status = token_endpoint.create_token_response(
                str(request.url), "POST", raw, dict(request.headers)
            )
        finally:
            AUTHENTICATED.reset(tokens[0])
            PREFETCHED.reset(tokens[1])
            REPLAYED.reset(tokens[2])
        for old in replayed:
            if not old.revoked:
                await state.backend.delete_key(old.api_key)
                old.revoked = True
                grants.save(old)
        await _drop_abandoned()
        await state.ctx.persist.flush()
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers.update(_NO_STORE)
        return Response(body, status_code=status, headers=headers, media_type="application/json")

    async def revoke(request: Request) -> Response:
        form = await form_data(request)
        client_id, secret = _client_credentials(request, form)
        if not (client_id and secret and await state.backend.verify_client_secret(client_id, secret)):
            return _error("invalid_client", "Client authentication failed.", 401)
        api_key = form.get("api_key")
        if not api_key and form.get("token"):
            receipt = grants.token(form["token"])
            api_key = receipt.api_key if receipt and receipt.client_id == client_id else None
            if receipt is None:
                api_key = form["token"]  # RFC 7009 form carrying the API key itself
        if not api_key:
            return _error("invalid_request", "Send api_key (or token) to revoke.")
        key = await state.backend.key(api_key)
        if key is not None:
            if key.oauth_client_id != client_id:
                return _error("unauthorized_client", "This key was not issued to this client.")
            await state.backend.delete_key(api_key)
        return JSONResponse({}, headers=_NO_STORE)

    return [
        Route("/oauth/authorize", authorize, methods=["GET"]),
        Route("/oauth/authorize", decide, methods=["POST"]),
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
    ]


def authorize_url(base_url: str, **params: str) -> str:
    """Build an authorize URL (tests and docs)."""
    return f"{base_url}/oauth/authorize?{urlencode(params)}"


__all__ = ["authorize_url", "routes"]
