"""Outgoing email over SMTP (aiosmtplib): the server, credentials and TLS mode come from the
PERPDESK_SMTP_* settings. With no PERPDESK_SMTP_HOST the platform sends no email."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from email.message import EmailMessage
from typing import Any

from perpdesk.settings import Settings

log = logging.getLogger("perpdesk.mail")


_pending: set[asyncio.Task[None]] = set()  # keeps background mails referenced until sent


def in_background(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` (a mail) without making the request wait: the answer's timing tells nothing."""
    task = asyncio.create_task(work)
    _pending.add(task)
    task.add_done_callback(_pending.discard)


def mail_configured(settings: Settings) -> bool:
    return bool(settings.smtp_host)


async def send_mail(settings: Settings, to: str, subject: str, text: str) -> None:
    import aiosmtplib  # only password resets send mail: kept off the start-up path

    msg = EmailMessage()
    msg["From"] = settings.smtp_from
    msg["To"] = to
    msg["Subject"] = subject
    msg.set_content(text)
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    await aiosmtplib.send(
        msg,
        hostname=settings.smtp_host,
        port=settings.smtp_port,
        username=settings.smtp_username or None,
        password=password,
        use_tls=settings.smtp_security == "tls",
        start_tls=True if settings.smtp_security == "starttls" else False,
        timeout=settings.smtp_timeout_s,
    )
