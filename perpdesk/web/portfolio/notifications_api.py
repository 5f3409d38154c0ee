"""JSON API of notifications (list, mark read, the unread count as server-sent events) and their
settings (liquidation threshold, webhook URL, webhook secret shown once, delivery log, send test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from perpdesk.core.decimal_input import DecimalText, WholeNumber
from perpdesk.live.bus import EventBus, user_topic
from perpdesk.services import notifications, webhook_test_send, webhooks
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.webhook_url import MAX_URL
from perpdesk.web.auth import limits, settings_write
from perpdesk.web.deps import CurrentUserDep, load_session_user
from perpdesk.web.live.common import SSE_RESPONSE, live_runtime, sse_frame, unavailable
from perpdesk.web.portfolio.schemas import (
    DeliveriesAnswer,
    MarkedAnswer,
    NotificationsAnswer,
    NotifySettingsAnswer,
    TestSentAnswer,
    WebhookSecretAnswer,
)
from perpdesk.web.trading.common import DepsDep

router = APIRouter(tags=["notifications"])


class ReadIn(BaseModel):
    ids: list[Annotated[str, Field(max_length=64)]] | None = Field(
        None, max_length=200, description="Notification ids; all unread ones when omitted.")


class SettingsIn(BaseModel):
    liquidation_pct: DecimalText | None = Field(
        None, description='Notify when a position is nearer than this to liquidation, in percent of the '
        'mark price (e.g. "10"), more than 0 and less than 100; null turns it off.'
    )
    webhook_url: str | None = Field(
        None, max_length=MAX_URL, description="http(s) URL that receives signed JSON; null turns it off."
    )


@router.get("/api/notifications", response_model=NotificationsAnswer)
async def list_notifications(
    user: CurrentUserDep, deps: DepsDep,
    unread: bool = Query(False, description="Only unread ones."),
    limit: Annotated[WholeNumber, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    rows = await notifications.listing(deps, user.id, unread_only=unread, limit=limit)
    return {"notifications": [notifications.view(n) for n in rows],
            "unread": await notifications.unread_count(deps, user.id)}


@router.post("/api/notifications/read", response_model=MarkedAnswer)
async def mark_read(body: ReadIn, user: CurrentUserDep, deps: DepsDep) -> dict[str, int]:
    return {"marked": await notifications.mark_read(deps, user.id, body.ids)}


@router.get(
    "/api/notifications/settings", response_model=NotifySettingsAnswer, response_model_exclude_unset=True
)
async def get_settings(user: CurrentUserDep, deps: DepsDep) -> dict[str, Any]:
    return (await notifications.get_prefs(deps, user.id)).to_dict()


@router.put(
    "/api/notifications/settings", response_model=NotifySettingsAnswer, response_model_exclude_unset=True
)
async def put_settings(
    request: Request, body: SettingsIn, user: CurrentUserDep, deps: DepsDep
) -> dict[str, Any]:
    """Save both settings; a first webhook URL returns `webhook_secret` once (store it now).
    Settings writes are throttled per user (429 with Retry-After)."""
    await settings_write(request, user.id)
    prefs, secret = await notifications.save_prefs(
        deps, user.id, liquidation_pct=body.liquidation_pct, webhook_url=body.webhook_url
    )
    out = prefs.to_dict()
    if secret:
        out["webhook_secret"] = secret
    return out


@router.post("/api/notifications/webhook/secret", response_model=WebhookSecretAnswer)
async def new_secret(request: Request, user: CurrentUserDep, deps: DepsDep) -> dict[str, str]:
    """A new signing secret replaces the old one; this answer is the only time it is shown."""
    await settings_write(request, user.id)
    return {"webhook_secret": await notifications.rotate_secret(deps, user.id)}


@router.get("/api/notifications/webhook/deliveries", response_model=DeliveriesAnswer)
async def deliveries(user: CurrentUserDep, deps: DepsDep) -> dict[str, Any]:
    return {"deliveries": [webhooks.delivery_view(d) for d in await webhooks.deliveries(deps, user.id)]}


@router.post("/api/notifications/webhook/test", response_model=TestSentAnswer)
async def send_test(request: Request, user: CurrentUserDep, deps: DepsDep) -> dict[str, Any]:
    """Deliver a signed test message to the saved webhook now: `delivered`, the receiver's `status`
    or the `error` (why it could not be reached). 422 without a saved URL; 429 when sent too often."""
    return (await webhook_test_send.send_test(deps, limits(request), user.id)).to_dict()


async def _unread_events(request: Request, bus: EventBus, deps: AccountsDeps, user_id: str,
                         heartbeat_s: float) -> AsyncIterator[bytes]:
    sub = bus.subscribe([user_topic(user_id)], maxsize=16)
    try:
        yield b"retry: 5000\n\n"
        yield sse_frame("unread", {"unread": await notifications.unread_count(deps, user_id)})
        while not sub.dropped:
            event = await sub.get(wait_s=heartbeat_s)
            if await request.is_disconnected():
                return
            if event is None:
                if sub.dropped or await load_session_user(request) is None:
                    return  # too slow (the browser reconnects), or signed out: the stream ends
                yield b": heartbeat\n\n"
                continue
            yield sse_frame("unread", {"unread": await notifications.unread_count(deps, user_id)})
    finally:
        sub.close()


@router.get("/api/notifications/stream", response_class=StreamingResponse, responses=SSE_RESPONSE)
async def unread_stream(request: Request, user: CurrentUserDep, deps: DepsDep) -> Any:
    """Server-sent events: `event: unread` with `{"unread": N}` at once and whenever the signed-in
    user's notifications change (the nav's Alerts badge). 503 when live updates are off."""
    runtime = live_runtime(request)
    if runtime is None:
        return unavailable("Live updates are off on this platform (PERPDESK_LIVE_ENABLED).")
    return StreamingResponse(
        _unread_events(request, runtime.bus, deps, user.id, runtime.settings.live_sse_heartbeat_s),
        media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
