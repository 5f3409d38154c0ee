"""Who runs an account's mirror. One owner per account: on one server the one process owns every
active account; with mirrors spread across worker processes each claims the accounts rendezvous
hashing gives it through a lease (`PgLeaseOwnership`, perpdesk/live/pg_lease.py, spread.py) and
web processes only subscribe to the bus.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol


class Ownership(Protocol):
    owner_id: str
    members: tuple[str, ...]  # the owners sharing the accounts at the last claim
    held: set[str]  # the accounts whose lease this owner holds now

    @property
    def waiting(self) -> int:
        """Accounts this owner should hold whose previous owner has not released them yet."""
        ...

    async def claim(self, account_ids: Sequence[str]) -> set[str]:
        """Claim or renew this owner's share of the accounts; returns those it holds now."""
        ...

    async def release(self, account_ids: Sequence[str]) -> None: ...

    async def check(self) -> None:
        """Find out whether the leases are still held (forget them if not), without claiming."""
        ...

    async def held_elsewhere(self, account_ids: Sequence[str]) -> set[str]:
        """Those of the accounts another owner mirrors now: the passes over every account leave
        them to that owner's process, which has them at hand (perpdesk/services/pass_scope.py)."""
        ...


class InProcessOwnership:
    """The single process owns every account it is asked about."""

    def __init__(self, owner_id: str | None = None) -> None:
        self.owner_id = owner_id or f"proc-{uuid.uuid4().hex[:12]}"
        self.held: set[str] = set()
        self.members: tuple[str, ...] = (self.owner_id,)

    @property
    def waiting(self) -> int:
        return 0

    async def claim(self, account_ids: Sequence[str]) -> set[str]:
        self.held = set(account_ids)
        return set(self.held)

    async def release(self, account_ids: Sequence[str]) -> None:
        self.held.difference_update(account_ids)

    async def check(self) -> None:
        return None  # nothing to lose

    async def held_elsewhere(self, account_ids: Sequence[str]) -> set[str]:
        return set()  # no other owner
