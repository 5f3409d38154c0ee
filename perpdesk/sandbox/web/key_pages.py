"""What the API Management pages of both dialects share: the page with the user's keys, finding
the signed-in user's own key, and deleting it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from perpdesk.sandbox.web.backend import KeyView, UserView
from perpdesk.sandbox.web.common import WebState, form_data, redirect, render, signed_in
from perpdesk.sandbox.web.sessions import BrowserSession


async def keys_page(
    state: WebState, request: Request, session: BrowserSession, user: UserView, template: str, dialect: str,
    **context: object,
) -> Response:
    """The API Management page with the user's `dialect` keys; 400 when `errors` are given."""
    keys = await state.backend.keys_of(user.uid, dialect)
    values: dict[str, object] = {"form": {}, "errors": {}, "keys": keys, **context}
    return render(state, request, template, session=session, user=user,
                  status_code=400 if values.get("errors") else 200, **values)


async def own_key(state: WebState, request: Request, user: UserView, dialect: str) -> KeyView | None:
    """The `{api_key}` of the path, if it is this user's key for `dialect` (else None: a 404)."""
    key = await state.backend.key(request.path_params["api_key"], dialect)
    return key if key is not None and key.uid == user.uid else None


def delete_handler(state: WebState, dialect: str, back: str) -> Callable[[Request], Awaitable[Response]]:
    """POST .../{api_key}/delete: delete the user's key (with the form's CSRF token), back to `back`."""

    @signed_in(state)
    async def delete(request: Request, session: BrowserSession, user: UserView) -> Response:
        data = await form_data(request)
        key = await own_key(state, request, user, dialect)
        if key is not None and state.sessions.csrf_ok(session, data.get("csrf_token")):
            await state.backend.delete_key(key.api_key)
        return redirect(state, back, session)

    return delete
