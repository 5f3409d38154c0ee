"""The exchange's own browser sessions, CSRF tokens and one-time email codes.

The cookie holds a random id; only its SHA-256 is kept (in memory and in the sandbox's state
file), so neither a state file nor a log line can be replayed as a session. The cookie is
HttpOnly and SameSite=Lax; every form carries the session's CSRF token as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response

from perpdesk.sandbox.persist import Persist

COOKIE = "bm_session"
_KIND = "web_session"
IDLE_TIMEOUT_S = 12 * 3600.0
ANONYMOUS_TIMEOUT_S = 3600.0
PENDING_2FA_TIMEOUT_S = 600.0
MAX_2FA_FAILURES = 5


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class BrowserSession:
    key: str  # SHA-256 of the cookie value
    csrf: str
    seen: float
    uid: str | None = None
    pending_uid: str | None = None  # password accepted, second factor still due
    pending_since: float = 0.0
    second_factor_failures: int = 0
    next_url: str | None = None  # where to go after sign-in (e.g. back to /oauth/authorize)
    drafts: dict[str, Any] = field(default_factory=dict)  # forms waiting for verification codes
    new_cookie: str | None = field(default=None, repr=False)  # set only on the request that made it

    def to_doc(self) -> dict[str, Any]:
        doc = asdict(self)
        doc.pop("new_cookie")
        return doc


class SessionStore:
    def __init__(self, persist: Persist, *, secure_cookie: bool = False,
                 clock: Callable[[], float] = time.time) -> None:
        self._persist = persist
        self.clock = clock
        self._secure = secure_cookie
        self._sessions: dict[str, BrowserSession] = {}
        self._created = 0
        for key, doc in persist.load(_KIND):
            try:
                self._sessions[key] = BrowserSession(**doc)
            except TypeError:
                persist.delete(_KIND, key)
        self.purge()

    def get(self, conn: HTTPConnection) -> BrowserSession | None:
        raw = conn.cookies.get(COOKIE)
        if not raw:
            return None
        session = self._sessions.get(_digest(raw))
        if session is None:
            return None
        now = self.clock()
        if now - session.seen > IDLE_TIMEOUT_S:
            self.destroy(session)
            return None
        if now - session.seen > 60:
            session.seen = now
            self.save(session)
        return session

    def get_or_create(self, conn: HTTPConnection) -> BrowserSession:
        session = self.get(conn)
        if session is not None:
            return session
        self._created += 1
        if self._created % 256 == 0:
            self.purge()
        raw = secrets.token_urlsafe(32)
        session = BrowserSession(key=_digest(raw), csrf=secrets.token_urlsafe(24), seen=self.clock())
        session.new_cookie = raw
        self._sessions[session.key] = session
        self.save(session)
        return session

    def purge(self) -> None:
        """Forget idle sessions, and anonymous ones after an hour (every visit to Sign In makes one)."""
        now = self.clock()
        for session in list(self._sessions.values()):
            idle = now - session.seen
            if idle > IDLE_TIMEOUT_S or (session.uid is None and idle > ANONYMOUS_TIMEOUT_S):
                self.destroy(session)

    def save(self, session: BrowserSession) -> None:
        self._persist.put(_KIND, session.key, session.to_doc())

    def destroy(self, session: BrowserSession) -> None:
        self._sessions.pop(session.key, None)
        self._persist.delete(_KIND, session.key)

    def rotate(self, session: BrowserSession) -> BrowserSession:
        """New id and CSRF token on privilege change (sign-in), so a planted id is worthless."""
        self.destroy(session)
        raw = secrets.token_urlsafe(32)
        fresh = BrowserSession(
            key=_digest(raw),
            csrf=secrets.token_urlsafe(24),
            seen=self.clock(),
            uid=session.uid,
            next_url=session.next_url,
        )
        fresh.new_cookie = raw
        self._sessions[fresh.key] = fresh
        self.save(fresh)
        return fresh

    def attach(self, response: Response, session: BrowserSession | None) -> Response:
        if session is not None and session.new_cookie:
            response.set_cookie(
                COOKIE,
                session.new_cookie,
                httponly=True,
                samesite="lax",
                secure=self._secure,
                path="/",
            )
        return response

    @staticmethod
    def clear_cookie(response: Response) -> Response:
        response.delete_cookie(COOKIE, path="/")
        return response

    @staticmethod
    def csrf_ok(session: BrowserSession | None, token: str | None) -> bool:
        return session is not None and bool(token) and hmac.compare_digest(session.csrf, str(token))


@dataclass
class _Code:
    digest: str
    expires: float
    attempts: int = 0


class EmailCodes:
    """Six-digit codes sent by email (2FA fallback, key creation); hashed, 10 minutes, 5 tries."""

    TTL_S = 600.0
    MAX_ATTEMPTS = 5

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._codes: dict[tuple[str, str], _Code] = {}

    def issue(self, uid: str, purpose: str) -> str:
        code = f"{secrets.randbelow(1_000_000):06d}"
        self._codes[(uid, purpose)] = _Code(_digest(f"{uid}:{purpose}:{code}"), self.clock() + self.TTL_S)
        return code

    def check(self, uid: str, purpose: str, code: str) -> bool:
        """True once for the right code; a wrong code counts toward the limit."""
        entry = self._codes.get((uid, purpose))
        if entry is None or self.clock() > entry.expires:
            self._codes.pop((uid, purpose), None)
            return False
        if hmac.compare_digest(entry.digest, _digest(f"{uid}:{purpose}:{code.strip()}")):
            del self._codes[(uid, purpose)]
            return True
        entry.attempts += 1
        if entry.attempts >= self.MAX_ATTEMPTS:
            del self._codes[(uid, purpose)]
        return False
