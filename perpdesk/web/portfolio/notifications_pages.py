"""Pages: the notification list (bell), its unread badge (loaded by htmx), and Settings >
Notifications (liquidation threshold, webhook URL, new secret shown once, delivery log)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from perpdesk.core.errors import InputError, PerpdeskError
from perpdesk.services import notifications, webhook_test_send, webhooks
from perpdesk.web.auth import limits, settings_write
from perpdesk.web.deps import CurrentUserDep
from perpdesk.web.templating import render
from perpdesk.web.trading.common import DepsDep

router = APIRouter(include_in_schema=False)
SETTINGS = "/settings/notifications"


@router.get("/notifications")
async def notifications_page(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    rows = await notifications.listing(deps, user.id, limit=100)
    return render(request, "portfolio/notifications.html", notifications=rows)


@router.post("/notifications/read")
async def read_all(user: CurrentUserDep, deps: DepsDep) -> Response:
    await notifications.mark_read(deps, user.id)
    return RedirectResponse("/notifications", status_code=303)


@router.get("/notifications/badge")
async def badge(user: CurrentUserDep, deps: DepsDep) -> Response:
    n = await notifications.unread_count(deps, user.id)
    return HTMLResponse(f'<span class="badge" data-unread="{n}">{n}</span>' if n else "")


async def _settings_page(
    request: Request, user_id: str, deps: DepsDep, status: int = 200, **ctx: object
) -> Response:
    prefs = await notifications.get_prefs(deps, user_id)
    log = await webhooks.deliveries(deps, user_id, limit=20)
    return render(request, "portfolio/notification_settings.html", status, prefs=prefs, deliveries=log, **ctx)


@router.get(SETTINGS)
async def settings_page(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    return await _settings_page(request, user.id, deps, saved=request.query_params.get("saved") == "1")


@router.post(SETTINGS)
async def save_settings(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    await settings_write(request, user.id)
    form = await request.form()
    pct, url = str(form.get("liquidation_pct", "")), str(form.get("webhook_url", ""))
    try:
        _prefs, secret = await notifications.save_prefs(deps, user.id, liquidation_pct=pct, webhook_url=url)
    except InputError as exc:
        return await _settings_page(request, user.id, deps, 422, error=exc, form={"liquidation_pct": pct,
                                                                              "webhook_url": url})
    if secret:  # shown on this answer only, never again
        return await _settings_page(request, user.id, deps, new_secret=secret, saved=True)
    return RedirectResponse(SETTINGS + "?saved=1", status_code=303)


@router.post(SETTINGS + "/secret")
async def rotate(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    await settings_write(request, user.id)
    secret = await notifications.rotate_secret(deps, user.id)
    return await _settings_page(request, user.id, deps, new_secret=secret)


@router.post(SETTINGS + "/test")
async def send_test(request: Request, user: CurrentUserDep, deps: DepsDep) -> Response:
    try:
        outcome = await webhook_test_send.send_test(deps, limits(request), user.id)
    except PerpdeskError as exc:
        return await _settings_page(request, user.id, deps, 429 if exc.code == "too_many_attempts" else 422,
                                    test_error=exc)
    return await _settings_page(request, user.id, deps, test=outcome)
