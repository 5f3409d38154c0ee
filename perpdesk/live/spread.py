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


def _seed(member: str) -> hashlib.blake2b:
    return hashlib.blake2b(f"perpdesk.spread|{member}|".encode(), digest_size=8)


def _order(account_id: str) -> bytes:
    return hashlib.blake2b(f"perpdesk.order|{account_id}".encode(), digest_size=8).digest()


def _ranked(account: bytes, seeds: list[tuple[str, hashlib.blake2b]]) -> list[str]:
    weights = []
    for member, seed in seeds:
        h = seed.copy()
        h.update(account)
        weights.append((h.digest(), member))
    weights.sort(reverse=True)
    return [member for _, member in weights]


def ranked(account_id: str, members: Iterable[str]) -> list[str]:
    """The members from the account's first choice to its last (plain rendezvous order)."""
    return _ranked(account_id.encode(), [(m, _seed(m)) for m in sorted(set(members))])


def assign(account_ids: Iterable[str], members: Iterable[str]) -> dict[str, str]:
    """account id -> member; empty when there is no member."""
    crew = sorted(set(members))
    accounts = sorted(set(account_ids), key=lambda a: (_order(a), a))
    if not crew:
        return {}
    base, extra = divmod(len(accounts), len(crew))
    load = dict.fromkeys(crew, 0)
    seeds = [(m, _seed(m)) for m in crew]
    out: dict[str, str] = {}
    for account_id in accounts:
        for member in _ranked(account_id.encode(), seeds):
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
