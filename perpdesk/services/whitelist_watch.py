"""Background re-check of accounts awaiting whitelisting, with backoff.

Started in the web app's lifespan (`WhitelistWatcher.start()` / `await stop()`). Each pass
re-inspects the accounts whose `next_check_at` is due; `accounts.check` doubles the delay after
every miss (recheck_base … recheck_max) and turns the account active with a notice once the
exchange lets it trade. The same pass also runs Fast Connect recovery (revoking orphaned keys).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from perpdesk.services import accounts, fast_connect
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.base import utcnow

log = logging.getLogger(__name__)


async def run_once(deps: AccountsDeps) -> int:
    """One pass; returns how many accounts were re-checked."""
    due = await accounts.due_for_recheck(deps, utcnow())
    for user_id, account_id in due:
        try:
            await accounts.check(deps, user_id, account_id, actor="system")
        except Exception:  # one bad account must not stop the others
            log.exception("whitelist re-check failed for account %s", account_id)
    try:
        await fast_connect.recover(deps)
    except Exception:
        log.exception("fast connect recovery failed")
    return len(due)


class WhitelistWatcher:
    def __init__(self, deps: AccountsDeps) -> None:
        self.deps = deps
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name="perpdesk-whitelist-watch")

    def wake(self) -> None:
        """Run a pass now (e.g. right after an account was saved as awaiting whitelisting)."""
        self._wake.set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _loop(self) -> None:
        while True:
            try:
                await run_once(self.deps)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("whitelist watch pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.deps.watch_interval_s)
            self._wake.clear()
