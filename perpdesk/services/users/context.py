"""What the user use cases need from the running platform (perpdesk.bootstrap.Services provides it)."""

from __future__ import annotations

from typing import Protocol

from perpdesk.jobs.queue import JobQueue
from perpdesk.services.ports import UnitOfWork
from perpdesk.services.users.open_streams import OpenStreams
from perpdesk.settings import Settings
from perpdesk.vault import Vault


class UsersContext(Protocol):
    @property
    def settings(self) -> Settings: ...

    def uow(self) -> UnitOfWork:
        """One transaction over the platform's repositories (services/ports.py)."""
        ...

    @property
    def vault(self) -> Vault: ...

    @property
    def session_secret(self) -> bytes: ...

    # last accepted TOTP time step per (user, purpose): a code opens one sign-in, never two
    @property
    def used_totp_steps(self) -> dict[str, int]: ...

    # the live streams open per session: they end when their session does
    @property
    def open_streams(self) -> OpenStreams: ...

    # jobs run later, in this process or a worker (mails, retried with backoff)
    @property
    def jobs(self) -> JobQueue: ...
