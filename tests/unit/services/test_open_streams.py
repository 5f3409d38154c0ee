"""The registry of open live streams: caps per session and per user end the oldest first, and a
session's end wakes its streams (and only its)."""

from __future__ import annotations

from perpdesk.services.users.open_streams import (
    REPLACED,
    SHUTTING_DOWN,
    SIGNED_OUT,
    OpenStream,
    OpenStreams,
)


def _open(reg: OpenStreams, user: str, session: str, woken: list[OpenStream]) -> OpenStream:
    holder: list[OpenStream] = []
    stream = reg.open(user, session, wake=lambda: woken.append(holder[0]))
    holder.append(stream)
    return stream


def test_the_oldest_streams_end_beyond_the_caps() -> None:
    reg, woken = OpenStreams(per_session=2, per_user=3), []
    a1, a2, a3 = (_open(reg, "u", "A", woken) for _ in range(3))
    assert woken == [a1] and a1.ended == REPLACED and reg.count("u", "A") == 2
    b1, b2 = _open(reg, "u", "B", woken), _open(reg, "u", "B", woken)
    assert woken == [a1, a2] and reg.count("u") == 3  # the user's cap: the oldest (A's) went first
    assert (a3.ended, b1.ended, b2.ended) == (None, None, None)
    _open(reg, "v", "C", woken)
    assert reg.count("v") == 1 and woken == [a1, a2]  # another user is not affected


def test_a_session_end_wakes_its_streams_only() -> None:
    reg, woken = OpenStreams(), []
    mine = [_open(reg, "u", "A", woken) for _ in range(2)]
    other = _open(reg, "u", "B", woken)
    assert reg.end_session("A") == 2 and woken == mine and all(s.ended == SIGNED_OUT for s in mine)
    assert other.ended is None and reg.count("u") == 1
    assert reg.end_user("u", except_session="B") == 0 and reg.end_user("u") == 1 and woken[-1] is other
    reg.close(other)  # a finished stream closing itself after it was ended: nothing left, no error
    assert reg.count("u") == 0


def test_a_stream_is_woken_once() -> None:
    reg, woken = OpenStreams(per_session=1), []
    first = _open(reg, "u", "A", woken)
    _open(reg, "u", "A", woken)
    first.end(SIGNED_OUT)
    assert woken == [first] and first.ended == REPLACED


def test_a_shutdown_ends_every_stream() -> None:
    reg, woken = OpenStreams(), []
    streams = [_open(reg, "u", "A", woken), _open(reg, "u", "B", woken), _open(reg, "v", "C", woken)]
    assert reg.end_all() == 3 and woken == streams and all(s.ended == SHUTTING_DOWN for s in streams)
    assert reg.count("u") == reg.count("v") == 0 and reg.end_all() == 0
