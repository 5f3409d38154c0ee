"""A local SMTP server (aiosmtpd) that keeps every message it receives as a .eml file in a folder:
the demo's outbox, so password reset links can be read without a real mail server."""

from __future__ import annotations

import asyncio
import os
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session

from perpdesk.core.files import private_dir, write_private


class FolderHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        private_dir(folder)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        data = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        name = f"{time.time_ns()}-{os.getpid()}.eml"
        await asyncio.to_thread(write_private, self.folder / name, data)
        return "250 Message accepted"


async def start_mail_catcher(folder: Path, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
    """Listen on host:port (0: any free port; read it from server.sockets[0]) until closed."""
    handler = FolderHandler(folder)
    loop = asyncio.get_running_loop()
    return await loop.create_server(lambda: SMTP(handler, hostname="perpdesk-demo"), host, port)


def read_messages(folder: Path) -> list[EmailMessage]:
    """The caught messages, oldest first."""
    found: list[EmailMessage] = []
    for path in sorted(folder.glob("*.eml")):
        msg: Any = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append(msg)
    return found
