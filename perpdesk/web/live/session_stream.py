"""The loop every server-sent event stream runs: the bus's events, heartbeats, and an end as soon
as the stream's session ends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import Request

from perpdesk.live.bus import LiveEvent, Subscription
from perpdesk.live.runtime import LiveRuntime
from perpdesk.web.deps import CurrentUser, get_services, load_session_user


class SessionStream:
    """One open stream of a session, registered (and so capped and revocable) from creation:
    create it before the first frame is sent, and `close()` it when the response ends."""

    def __init__(self, request: Request, runtime: LiveRuntime, user: CurrentUser, sub: Subscription) -> None:
        self._request = request
        self._settings = runtime.settings
        self._sub = sub
        self._registry = get_services(request).open_streams
        self._stream = self._registry.open(user.id, user.session_hash, wake=sub.close)

    def close(self) -> None:
        self._registry.close(self._stream)

    async def events(self) -> AsyncIterator[LiveEvent | None]:
        """The subscription's events, and None whenever a heartbeat is due. Ends when the browser
        leaves, the reader falls too far behind (`sub.dropped`: it reconnects and resyncs), a
        newer stream replaces it (the per-session and per-user caps), or the session ends: sign-out,
        sign out everywhere, a password change or reset wake it at once through the registry; an
        expiry, or a sign-out in another process, is seen at the next re-check of the session
        (the first one straight away, for a sign-out that came just before the registration)."""
        heartbeat_s = self._settings.live_sse_heartbeat_s
        recheck_s = self._settings.live_session_recheck_s
        loop = asyncio.get_running_loop()
        beat_at, check_at = loop.time(), loop.time() - recheck_s
        while True:
            due = min(beat_at + heartbeat_s, check_at + recheck_s)
            event = await self._sub.get(wait_s=max(0.01, due - loop.time()))
            if self._stream.ended or self._sub.dropped or await self._request.is_disconnected():
                return
            now = loop.time()
            if now >= check_at + recheck_s:
                check_at = now
                if await load_session_user(self._request) is None:
                    return
            if event is not None:
                beat_at = now  # data keeps proxies from closing the stream as well as a heartbeat
                yield event
            elif now >= beat_at + heartbeat_s:
                beat_at = now
                yield None
