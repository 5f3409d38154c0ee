"""Which accounts a pass over every account does in this process, when live mirrors are spread
over worker processes.

The settler's reconciliation and the equity snapshots used to run in one process for every
account: for the accounts another worker mirrors, that process opened the key and read the
exchange, while the owner had the answer at hand (with two workers, half the accounts: most of
their database transactions and a fifth of their reads). Now each worker does the accounts it
mirrors from its mirrors, and the one process that runs the pass does the rest: those no worker
mirrors now (live off, a handover under way).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class PassScope(Protocol):
    def here(self) -> list[tuple[str, str]]:
        """(user id, account id) of the accounts mirrored in this process."""
        ...

    async def elsewhere(self, account_ids: Sequence[str]) -> set[str]:
        """Those of the accounts another worker mirrors now."""
        ...


async def left_to_the_pass(scope: PassScope | None,
                           pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The (user, account) pairs the whole-installation pass does: those no worker mirrors (this
    process's own are its own pass's)."""
    if scope is None:
        return list(pairs)
    here = {a for _u, a in scope.here()}
    rest = [(u, a) for u, a in pairs if a not in here]
    elsewhere = await scope.elsewhere([a for _u, a in rest])
    return [(u, a) for u, a in rest if a not in elsewhere]
