"""A sign-in with an unknown email at the sandbox costs what a real password check costs: the dummy
hash it verifies against has the parameters of the users' hashes, not argon2's defaults."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from perpdesk.sandbox.identity import Identity
from perpdesk.sandbox.persist import Persist
from perpdesk.sandbox.web.backend import _DummyHasher


def test_dummy_hash_follows_the_users_hash_parameters() -> None:
    persist = Persist(":memory:")
    try:
        user = Identity(persist).create_user("someone@example.com", "Sandbox-Passw0rd!")
    finally:
        persist.close()
    dummy = _DummyHasher()
    dummy.verify_dummy("a guess", user.password_hash)
    assert extract_parameters(dummy._hash) == extract_parameters(user.password_hash)
    # and follows them when they change (e.g. hashes made with other settings)
    cheap = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("x")
    dummy.verify_dummy("a guess", cheap)
    assert extract_parameters(dummy._hash) == extract_parameters(cheap)
