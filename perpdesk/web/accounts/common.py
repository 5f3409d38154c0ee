"""Shared bits of the accounts routers: how to reach the services, error responses."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from perpdesk.services.deps import AccountsDeps
from perpdesk.services.whitelist_watch import WhitelistWatcher

DEPS_KEY = "accounts_deps"
POOL_KEY = "accounts_pool"
WATCHER_KEY = "accounts_watcher"


def get_deps(request: Request) -> AccountsDeps:
    deps: AccountsDeps = request.app.state.services.extra[DEPS_KEY]
    return deps


def wake_watcher(request: Request) -> None:
    watcher: WhitelistWatcher | None = request.app.state.services.extra.get(WATCHER_KEY)
    if watcher is not None:
        watcher.wake()


DepsDep = Annotated[AccountsDeps, Depends(get_deps)]
