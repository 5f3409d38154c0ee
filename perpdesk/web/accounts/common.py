"""Shared bits of the accounts routers: how a route reaches the account services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from perpdesk.services.deps import AccountsDeps


def get_deps(request: Request) -> AccountsDeps:
    deps: AccountsDeps = request.app.state.services.accounts
    return deps


def wake_watcher(request: Request) -> None:
    request.app.state.services.whitelist_watcher.wake()


DepsDep = Annotated[AccountsDeps, Depends(get_deps)]
