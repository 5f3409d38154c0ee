"""Start-up stays cheap: importing the platform (or the sandbox's pages) computes no password hash;
the timing-equalising dummy hash is made on first need and still does its job."""

from __future__ import annotations

import subprocess
import sys

from perpdesk.services.users import passwords as security
from tests.fixtures.procs import ROOT

COUNT_HASHES = """
import argon2
calls = [0]
real = argon2.PasswordHasher.hash
def counting(self, *a, **k):
    calls[0] += 1
    return real(self, *a, **k)
argon2.PasswordHasher.hash = counting
import perpdesk.web.app, perpdesk.sandbox.web.backend
print(calls[0])
"""


def test_importing_the_app_hashes_no_password() -> None:
    out = subprocess.run(
        [sys.executable, "-c", COUNT_HASHES], capture_output=True, text=True, cwd=str(ROOT), timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "0"


async def test_unknown_user_still_costs_one_verification() -> None:
    known = await security.hash_password("right-Passw0rd")
    assert await security.verify_password(known, "right-Passw0rd")
    assert not await security.verify_password(known, "wrong")
    assert not await security.verify_password(None, "right-Passw0rd")
    assert security._dummy_hash.cache_info().currsize == 1  # the dummy was verified against
