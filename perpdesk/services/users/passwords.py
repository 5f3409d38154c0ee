"""Passwords: argon2id hashing off the event loop, and the rules for a new one (NIST SP 800-63B).

A new password is 15 to 256 characters (800-63B rev. 4's minimum for a password that may be the
only factor; 2FA is optional here), any characters, no composition rules; it must not be on the
list of common and breached passwords shipped with zxcvbn (30,000 entries from leaked password
corpora) nor the common passphrases shipped here (famous phrases zxcvbn would score as strong),
nor the email, and zxcvbn (told the email) must estimate at least 10^8 guesses (score 3).
"""

from __future__ import annotations

import asyncio
import functools
import secrets
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.low_level import Type

from perpdesk.core.errors import InputError

MIN_PASSWORD = 15
MAX_PASSWORD = 256  # what sign-in has always accepted; NIST asks for at least 64
MIN_SCORE = 3  # zxcvbn: 0 (too guessable) .. 4 (very unguessable); 3 is >= 10^8 guesses
_ESTIMATE_CHARS = 72  # zxcvbn's own ceiling; a longer password is judged by its start

# argon2id with the RFC 9106 "second recommended" profile: 64 MiB, 3 passes.
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2, type=Type.ID)
# At most two hashes at once: a burst of sign-ups or sign-ins queues here instead of taking
# every core (and the memory of one hash each) away from the rest of the platform.
_HASHING = ThreadPoolExecutor(max_workers=2, thread_name_prefix="argon2")


@functools.cache
def _dummy_hash() -> str:
    """A hash of a random password: verified against when the email is unknown, so timing does not
    reveal which emails have accounts. Made on first need, not at import (it costs ~0.1 s)."""
    return _hasher.hash(secrets.token_urlsafe(16))


async def hash_password(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_HASHING, _hasher.hash, password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    def check() -> bool:
        try:
            return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.get_running_loop().run_in_executor(_HASHING, check)


@functools.cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


@functools.cache
def common_passphrases() -> frozenset[str]:
    """Passphrases guessers try first (shipped beside this module): a long password of famous
    words scores well with zxcvbn and is still among the first guesses."""
    text = (Path(__file__).parent / "common_passphrases.txt").read_text(encoding="utf-8")
    return frozenset(line for line in map(str.strip, text.splitlines()) if line and not line.startswith("#"))


def _passphrase_form(folded: str) -> str:
    """Letters and digits only, trailing digits dropped: "Correct horse battery-staple 1!" and
    "correcthorsebatterystaple" are the same guess."""
    return "".join(ch for ch in folded if ch.isalnum()).rstrip("0123456789")


def _estimate(password: str, email: str) -> tuple[int, str]:
    from zxcvbn import zxcvbn  # its dictionaries load on first use, not at start-up

    local = email.split("@", 1)[0]
    result = zxcvbn(password[:_ESTIMATE_CHARS], user_inputs=[email, local, "perpdesk"])
    feedback = result.get("feedback") or {}
    hint = feedback.get("warning") or " ".join(feedback.get("suggestions") or [])
    return int(result["score"]), str(hint)


async def check_new_password(password: str, email: str, field: str = "password") -> None:
    """Refuse a password that is too short, too long, common, or easy to guess; say why."""
    if len(password) < MIN_PASSWORD:
        raise InputError(
            field,
            f"is shorter than {MIN_PASSWORD} characters",
            "Choose a longer password: a passphrase of several unrelated words is easy to remember.",
        )
    if len(password) > MAX_PASSWORD:
        raise InputError(field, f"is longer than {MAX_PASSWORD} characters", "Choose a shorter password.")
    folded = unicodedata.normalize("NFKC", password).casefold()
    if (
        folded in common_passwords()
        or folded.rstrip("0123456789!.") in common_passwords()
        or _passphrase_form(folded) in common_passphrases()
    ):
        raise InputError(
            field,
            "is on the list of common or breached passwords",
            "Choose a password nobody else uses: a passphrase of several unrelated words.",
        )
    if email and folded.strip() == email.casefold():
        raise InputError(field, "is the same as the email", "Choose a password nobody can guess.")
    score, hint = await asyncio.to_thread(_estimate, password, email)
    if score < MIN_SCORE:
        raise InputError(
            field,
            "is too easy to guess" + (f" ({hint.rstrip('.')})" if hint else ""),
            "Choose a longer password: a passphrase of several unrelated words is easy to remember.",
        )
