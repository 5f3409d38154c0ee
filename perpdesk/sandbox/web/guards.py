"""Sign-in protections: one use per authenticator code, throttled password attempts, and a
cooldown on emailed codes."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

import pyotp

from perpdesk.sandbox.persist import Persist

TOTP_STEP_S = 30
TOTP_KIND = "totp_last_step"


class TotpGuard:
    """An authenticator code is accepted once: never in a second session, never twice in its
    window. Each user's last accepted time step is remembered (and saved, so a restart does not
    reopen it); only a later step is accepted after it (RFC 6238, section 5.2)."""

    def __init__(self, persist: Persist | None = None) -> None:
        self._persist = persist
        self._last: dict[str, int] = {}
        if persist is not None:
            self._last = {uid: int(doc["step"]) for uid, doc in persist.load(TOTP_KIND)}

    def accept(self, uid: str, secret: str, code: str, now: float | None = None) -> bool:
        code = code.strip().replace(" ", "")
        if not (code.isascii() and code.isdigit() and len(code) == 6):
            return False
        now = time.time() if now is None else now
        totp = pyotp.TOTP(secret)
        step = int(now // TOTP_STEP_S)
        # one step of drift either way, as authenticator apps on phones run a little off
        for candidate in (step - 1, step, step + 1):
            if totp.at(candidate * TOTP_STEP_S) == code:
                if candidate <= self._last.get(uid, -1):
                    return False
                self._last[uid] = candidate
                if self._persist is not None:
                    self._persist.put(TOTP_KIND, uid, {"step": candidate})
                return True
        return False


class Throttle:
    """At most `limit` failures per key in `window_s`; then refused until the oldest ages out.
    Callers count an attempt (`fail`) in the same step as they test `wait_s`, before any await."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        if not times:
            self._failures.pop(key, None)
        return times

    def wait_s(self, key: str, now: float | None = None) -> float:
        """Seconds until the next attempt is allowed (0 = allowed now)."""
        now = self.clock() if now is None else now
        times = self._recent(key, now)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, self.window_s - (now - times[0]))

    def fail(self, key: str, now: float | None = None) -> float:
        """Count a failure (or an attempt about to be checked: see `refund`); returns its time."""
        now = self.clock() if now is None else now
        self._recent(key, now)
        self._failures.setdefault(key, deque()).append(now)
        return now

    def refund(self, key: str, stamp: float) -> None:
        """Take back an attempt counted before its check (`fail`), once it turned out right.
        Counting first is what makes guesses sent at once count one each."""
        times = self._failures.get(key)
        if times is not None and stamp in times:
            times.remove(stamp)

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)


class Cooldown:
    """At most one event per key every `interval_s` (the email-code Send button)."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.interval_s = interval_s
        self._last: dict[str, float] = {}

    def wait_s(self, key: str, now: float | None = None) -> float:
        now = self.clock() if now is None else now
        last = self._last.get(key)
        return 0.0 if last is None else max(0.0, self.interval_s - (now - last))

    def mark(self, key: str, now: float | None = None) -> None:
        self._last[key] = self.clock() if now is None else now
