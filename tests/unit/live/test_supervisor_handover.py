"""The supervisor's side of a handover: a mirror is stopped before its lease is released (the next
owner's never runs beside it), an edited account restarts without letting go of its lease, other
workers are kicked when members change or accounts are handed over, and while a won account is
still held by its previous owner the supervisor looks again sooner, a bounded number of times."""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

import pytest

from perpdesk.live.supervisor import HANDOVER_RETRIES, HANDOVER_RETRY_S, ActiveAccount, LiveSupervisor

EVENTS: list[tuple[str, str]] = []


class Ownership:
    owner_id = "w1"

    def __init__(self) -> None:
        self.members: tuple[str, ...] = ("w1",)
        self.mine: set[str] = set()  # what the assignment gives this owner
        self.held: set[str] = set()
        self.locked_elsewhere: set[str] = set()
        self.session_lost = False

    @property
    def waiting(self) -> int:
        return len(self.mine - self.held)

    async def claim(self, account_ids: Sequence[str]) -> set[str]:
        self.held |= (self.mine & set(account_ids)) - self.locked_elsewhere
        return self.held & self.mine & set(account_ids)

    async def release(self, account_ids: Sequence[str]) -> None:
        for a in account_ids:
            if a in self.held:
                self.held.discard(a)
                EVENTS.append(("release", a))

    async def check(self) -> None:
        if self.session_lost:  # the server ended the session: every lock went with it
            self.held.clear()

    async def held_elsewhere(self, account_ids: Sequence[str]) -> set[str]:
        return set(account_ids) & self.locked_elsewhere


class Mirror:
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id

    async def stop(self) -> None:
        EVENTS.append(("stop", self.account_id))


class Source:
    def __init__(self) -> None:
        self.versions: dict[str, str] = {}
        self.down = False

    async def active(self) -> list[ActiveAccount]:
        if self.down:
            raise ConnectionError("the database is unreachable")
        return [ActiveAccount(cast(Any, SimpleNamespace(account_id=a)), v) for a, v in self.versions.items()]

    def changed(self) -> None:
        return None


class Supervisor(LiveSupervisor):
    def _start(self, acct: ActiveAccount) -> None:
        EVENTS.append(("start", acct.ref.account_id))
        self.mirrors[acct.ref.account_id] = cast(Any, Mirror(acct.ref.account_id))
        self._versions[acct.ref.account_id] = acct.version


def build() -> tuple[Supervisor, Ownership, Source, list[str]]:
    EVENTS.clear()
    ownership, source, kicks = Ownership(), Source(), []
    nothing = cast(Any, None)  # connectors, bus and hub: the overridden _start needs none
    sup = Supervisor(cast(Any, source), nothing, nothing, nothing, cast(Any, ownership), scan_interval_s=5.0)
    sup.on_handover = lambda: kicks.append("kick")
    return sup, ownership, source, kicks


async def test_a_handed_over_mirror_stops_before_its_lease_is_released() -> None:
    sup, own, src, kicks = build()
    src.versions = {"a": "1", "b": "1"}
    own.mine = {"a", "b"}
    await sup.scan()
    assert EVENTS == [("start", "a"), ("start", "b")] and kicks == ["kick"]  # joined: members changed
    own.members, own.mine = ("w1", "w2"), {"a"}  # w2 joined and wins b
    await sup.scan()
    assert EVENTS[2:] == [("stop", "b"), ("release", "b")] and sorted(sup.mirrors) == ["a"]
    assert kicks == ["kick", "kick"]  # w2 may take b now
    await sup.scan()
    assert kicks == ["kick", "kick"] and len(EVENTS) == 4  # nothing changed: no kick, no restart


async def test_an_edited_account_restarts_without_letting_go_and_a_disconnected_one_is_released() -> None:
    sup, own, src, kicks = build()
    src.versions, own.mine = {"a": "1"}, {"a"}
    await sup.scan()
    src.versions = {"a": "2"}
    await sup.scan()
    assert EVENTS == [("start", "a"), ("stop", "a"), ("start", "a")] and own.held == {"a"}
    src.versions = {}
    await sup.scan()
    assert EVENTS[3:] == [("stop", "a"), ("release", "a")] and kicks == ["kick"]  # not a handover


async def test_waiting_for_a_previous_owner_looks_again_sooner_a_few_times() -> None:
    sup, own, src, _ = build()
    src.versions, own.mine, own.locked_elsewhere = {"a": "1", "b": "1"}, {"a", "b"}, {"b"}
    await sup.scan()
    assert own.waiting == 1 and sup.interval_s() == HANDOVER_RETRY_S
    for _ in range(HANDOVER_RETRIES):
        await sup.scan()
    assert sup.interval_s() == 5.0  # b's owner does not let go: back to the usual pace
    own.locked_elsewhere = set()
    await sup.scan()
    assert own.waiting == 0 and sup.interval_s() == 5.0 and sorted(sup.mirrors) == ["a", "b"]
    own.locked_elsewhere, own.mine = {"c"}, {"a", "b", "c"}
    src.versions["c"] = "1"
    await sup.scan()
    assert sup.interval_s() == HANDOVER_RETRY_S  # a new wait starts quick again


async def test_a_scan_the_database_fails_stops_the_mirrors_whose_lease_went_with_it() -> None:
    sup, own, src, _kicks = build()
    src.versions = {"a": "1", "b": "1"}
    own.mine = {"a", "b"}
    await sup.scan()
    EVENTS.clear()
    src.down = True  # the database is unreachable, but the lease's session still holds
    with pytest.raises(ConnectionError):
        await sup.scan()
    assert EVENTS == [] and set(sup.mirrors) == {"a", "b"}  # locks held: they keep running
    own.session_lost = True  # now the lease's session is gone too: another worker may take them
    with pytest.raises(ConnectionError):
        await sup.scan()
    assert sorted(EVENTS) == [("stop", "a"), ("stop", "b")] and sup.mirrors == {}  # nothing to release


async def test_closing_stops_every_mirror_when_the_leases_cannot_be_released() -> None:
    """The database gone before the worker's shutdown: the first release fails, and the other
    mirrors still stop (they used to keep running through the shutdown); no further release is
    tried (the locks end with the lease's session)."""
    sup, own, src, _kicks = build()
    src.versions, own.mine = {"a": "1", "b": "1", "c": "1"}, {"a", "b", "c"}
    await sup.scan()
    EVENTS.clear()
    tried: list[str] = []

    async def lost(account_ids: Sequence[str]) -> None:
        tried.extend(account_ids)
        raise ConnectionError("connection is closed")

    own.release = lost  # type: ignore[method-assign]
    await sup.aclose()
    assert EVENTS == [("stop", "a"), ("stop", "b"), ("stop", "c")] and sup.mirrors == {}
    assert tried == ["a"]
