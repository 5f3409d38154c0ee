"""A real SMTP server (perpdesk's aiosmtpd mail catcher) on loopback and a platform that mails
through it."""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from perpdesk.web.mail_catcher import read_messages, start_mail_catcher
from tests.fixtures.platform import PlatformServer, launch_platform


@dataclass
class Outbox:
    folder: Path
    port: int

    async def wait_for(self, to: str, count: int = 1, timeout: float = 20.0, subject: str = "") -> Any:
        """The `count`-th message sent to `to` (whose subject has `subject`; waits for it)."""
        for _ in range(int(timeout / 0.1)):
            found = self.to(to, subject)
            if len(found) >= count:
                return found[count - 1]
            await asyncio.sleep(0.1)
        raise AssertionError(f"no message {count} to {to} within {timeout}s")

    def to(self, address: str, subject: str = "") -> list[Any]:
        return [m for m in read_messages(self.folder) if m["To"] == address and subject in m["Subject"]]


RESET_SUBJECT = "Reset your perpdesk password"
SIGNUP_SUBJECT = "Finish signing up"


def signup_link(message: Any) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    m = re.search(r"(http://\S+/signup/confirm\?token=\S+)", body)
    assert m, body
    return m.group(1)


async def sign_up_by_mail(http: httpx.AsyncClient, outbox: Outbox, email: str, password: str) -> Any:
    """Sign up on a platform that mails (202 "check your email"), then open the emailed link:
    the answer that signs `http` in."""
    r = await http.post("/api/auth/signup", json={"email": email, "password": password})
    assert r.status_code == 202, r.text
    link = signup_link(await outbox.wait_for(email, subject=SIGNUP_SUBJECT))
    r = await http.post("/api/auth/signup/confirm", json={"token": link.split("token=", 1)[1]})
    assert r.status_code == 201, r.text
    return r


def reset_link(message: Any) -> str:
    body = message.get_body(preferencelist=("plain",)).get_content()
    m = re.search(r"(http://\S+/password/reset\?token=\S+)", body)
    assert m, body
    return m.group(1)


@pytest.fixture(scope="module")
async def outbox() -> AsyncIterator[Outbox]:
    folder = Path(tempfile.mkdtemp(prefix="perpdesk-mail-"))
    server = await start_mail_catcher(folder)
    try:
        yield Outbox(folder, server.sockets[0].getsockname()[1])
    finally:
        server.close()


@pytest.fixture(scope="module")
async def mailing_platform(outbox: Outbox) -> AsyncIterator[PlatformServer]:
    server = await asyncio.to_thread(
        launch_platform, smtp_host="127.0.0.1", smtp_port=outbox.port, smtp_security="none"
    )
    try:
        yield server
    finally:
        server.stop()
