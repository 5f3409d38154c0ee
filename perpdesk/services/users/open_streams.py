"""The live streams (server-sent events) open in this process, per session and per user.

A stream ends with its session: signing out, "sign out everywhere", a password change or reset
tell this registry, which wakes the session's streams at once (they do not wait for a heartbeat).
A session and a user may hold only a few streams; opening one more ends the oldest first, since
a browser that lost a stream without noticing reconnects and the newest is the one in use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

SIGNED_OUT = "signed out"
REPLACED = "replaced by a newer stream"
SHUTTING_DOWN = "the server is shutting down"


@dataclass(eq=False)
class OpenStream:
    user_id: str
    session_hash: str
    wake: Callable[[], None]  # makes the stream's pending wait return now
    ended: str | None = field(default=None)  # why the stream must end; None while it may go on

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
            self.wake()


class OpenStreams:
    def __init__(self, per_session: int = 6, per_user: int = 20) -> None:
        self.per_session = per_session
        self.per_user = per_user
        self._by_user: dict[str, list[OpenStream]] = {}  # oldest first

    def open(self, user_id: str, session_hash: str, wake: Callable[[], None]) -> OpenStream:
        """Register a stream; the oldest of the session's, then of the user's, end beyond the caps."""
        mine = self._by_user.setdefault(user_id, [])
        same_session = [s for s in mine if s.session_hash == session_hash]
        for old in same_session[: max(0, len(same_session) - self.per_session + 1)]:
            self._drop(old, REPLACED)
        for old in mine[: max(0, len(mine) - self.per_user + 1)]:
            self._drop(old, REPLACED)
        stream = OpenStream(user_id, session_hash, wake)
        mine.append(stream)
        return stream

    def close(self, stream: OpenStream) -> None:
        """The stream has finished (for whatever reason): forget it."""
        mine = self._by_user.get(stream.user_id)
        if mine is not None and stream in mine:
            mine.remove(stream)
            if not mine:
                del self._by_user[stream.user_id]

    def end_session(self, session_hash: str) -> int:
        """End every stream of one session; how many."""
        found = [s for mine in self._by_user.values() for s in mine if s.session_hash == session_hash]
        for stream in found:
            self._drop(stream, SIGNED_OUT)
        return len(found)

    def end_user(self, user_id: str, *, except_session: str | None = None) -> int:
        """End every stream of the user but those of `except_session`; how many."""
        found = [s for s in self._by_user.get(user_id, []) if s.session_hash != except_session]
        for stream in found:
            self._drop(stream, SIGNED_OUT)
        return len(found)

    def end_all(self) -> int:
        """End every stream (the process shuts down: the pages reconnect to another); how many."""
        found = [s for mine in self._by_user.values() for s in mine]
        for stream in found:
            self._drop(stream, SHUTTING_DOWN)
        return len(found)

    def count(self, user_id: str, session_hash: str | None = None) -> int:
        mine = self._by_user.get(user_id, [])
        return sum(1 for s in mine if session_hash is None or s.session_hash == session_hash)

    def _drop(self, stream: OpenStream, reason: str) -> None:
        self.close(stream)
        stream.end(reason)
