"""Which worker mirrors which account: rendezvous (highest-random-weight) hashing with bounded loads.

Every worker computes the same assignment from the same inputs (the active accounts, the live
members), so no coordinator is needed. Each account ranks the members by a hash of (member,
account); accounts are placed one by one (in the order of their own hash) on their best-ranked
member that still has room, where room is an even share: `n // m` each, and `n % m` of them one
more. So loads differ by at most one, and a member joining or leaving moves little more than the
share it gains or loses (plain rendezvous would move exactly that, but spread 12 accounts over 3
workers as unevenly as 7/3/2). Connecting one account moves about one other (measured in
tests/unit/live/test_spread.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def _weight(member: str, account_id: str) -> bytes:
    return hashlib.sha256(f"perpdesk.spread|{member}|{account_id}".encode()).digest()[:8]


def _order(account_id: str) -> bytes:
    return hashlib.sha256(f"perpdesk.order|{account_id}".encode()).digest()[:8]


def ranked(account_id: str, members: Iterable[str]) -> list[str]:
    """The members from the account's first choice to its last (plain rendezvous order)."""
    return sorted(members, key=lambda m: (_weight(m, account_id), m), reverse=True)


def assign(account_ids: Iterable[str], members: Iterable[str]) -> dict[str, str]:
    """account id -> member; empty when there is no member."""
    crew = sorted(set(members))
    accounts = sorted(set(account_ids), key=lambda a: (_order(a), a))
    if not crew:
        return {}
    base, extra = divmod(len(accounts), len(crew))
    load = dict.fromkeys(crew, 0)
    out: dict[str, str] = {}
    for account_id in accounts:
        for member in ranked(account_id, crew):
            if load[member] < base:
                pass
            elif load[member] == base and extra > 0:
                extra -= 1  # one of the n % m members that carry one more
            else:
                continue
            load[member] += 1
            out[account_id] = member
            break
    return out


def share(account_ids: Iterable[str], members: Iterable[str], member: str) -> set[str]:
    """The accounts `member` should mirror."""
    return {a for a, m in assign(account_ids, members).items() if m == member}
