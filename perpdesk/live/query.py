"""The read side for pages, the JSON API and the CLI: an account as its mirror holds it, scoped
to the user, or None when this process has no mirror of it (then the caller reads the exchange)."""

from __future__ import annotations

from collections.abc import Sequence

from perpdesk.core.models import Balance, Order
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.live.views import AccountLive


class LiveQuery:
    def __init__(self, supervisor: LiveSupervisor | None) -> None:
        self.supervisor = supervisor  # None: a web-only process (relay.RemoteViews)

    def account(self, user_id: str, account_id: str) -> AccountLive | None:
        """The account's live view, whatever its freshness (pages show stale as stale)."""
        mirror = self.supervisor.mirror(account_id) if self.supervisor is not None else None
        if mirror is None or mirror.ref.user_id != user_id or not mirror.running:
            return None
        return mirror.view()

    def fresh(self, user_id: str, account_id: str) -> AccountLive | None:
        """The live view only while it is current: else None, and the caller reads the exchange."""
        view = self.account(user_id, account_id)
        return view if view is not None and view.fresh else None

    def open_orders_of(self, user_id: str, account_id: str) -> list[Order] | None:
        """The account's open orders while its mirror here is current (None: read the exchange)."""
        mirror = self.supervisor.mirror(account_id) if self.supervisor is not None else None
        if mirror is None or mirror.ref.user_id != user_id or not mirror.running or not mirror.fresh():
            return None
        return list(mirror.state.orders.values())

    def usdt_of(self, user_id: str, account_id: str) -> Balance | None:
        """The account's USDT balance at the live marks while its mirror here is current."""
        view = self.fresh(user_id, account_id)
        return view.usdt if view is not None else None

    def here(self) -> list[tuple[str, str]]:
        """(user id, account id) of every account mirrored in this process (services/pass_scope.py)."""
        if self.supervisor is None:
            return []
        mirrors = list(self.supervisor.mirrors.values())
        return [(m.ref.user_id, m.ref.account_id) for m in mirrors if m.running]

    async def elsewhere(self, account_ids: Sequence[str]) -> set[str]:
        """Those of the accounts another worker's mirrors hold now."""
        if self.supervisor is None:
            return set()
        return await self.supervisor.ownership.held_elsewhere(account_ids)

    def user_accounts(self, user_id: str) -> list[AccountLive]:
        mirrors = list(self.supervisor.mirrors.values()) if self.supervisor is not None else []
        return [m.view() for m in mirrors if m.ref.user_id == user_id and m.running]
