"""Background re-check of accounts awaiting whitelisting, with backoff.

Started in the web app's lifespan (`WhitelistWatcher.start()` / `await stop()`). Each pass
re-inspects the accounts whose `next_check_at` is due; `account_checks.check` doubles the delay after
every miss (recheck_base … recheck_max) and turns the account active with a notice once the
exchange lets it trade. The same pass also runs Fast Connect recovery (revoking orphaned keys).
"""

from __future__ import annotations

import logging

from perpdesk.core.background import PeriodicTask
from perpdesk.services import account_checks, fast_connect
from perpdesk.services.deps import AccountsDeps
from perpdesk.store.base import utcnow

log = logging.getLogger(__name__)


async def run_once(deps: AccountsDeps) -> int:
    """One pass; returns how many accounts were re-checked."""
    due = await account_checks.due_for_recheck(deps, utcnow())
    for user_id, account_id in due:
        try:
            await account_checks.check(deps, user_id, account_id, actor="system")
        except Exception:  # one bad account must not stop the others
            log.exception("whitelist re-check failed for account %s", account_id)
    try:
        await fast_connect.recover(deps)
    except Exception:
        log.exception("fast connect recovery failed")
    return len(due)


class WhitelistWatcher(PeriodicTask):
    name = "perpdesk-whitelist-watch"

    def __init__(self, deps: AccountsDeps) -> None:
        super().__init__()
        self.deps = deps

    def wake(self) -> None:
        """Run a pass now (e.g. right after an account was saved as awaiting whitelisting)."""
        super().wake()

    async def run_pass(self) -> int:
        return await run_once(self.deps)

    def interval_s(self) -> float:
        return self.deps.watch_interval_s
