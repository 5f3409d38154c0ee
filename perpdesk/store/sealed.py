"""Vault blobs in the `sealed_secrets` table: seal and store, load and open (bound to (user_id, ref)).

The vault itself (perpdesk/vault/) is pure crypto and knows no table."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.core.models import Credentials
from perpdesk.store.accounts import ExchangeAccount
from perpdesk.store.repos import SealedSecretRepo
from perpdesk.store.sealed_secrets import SealedSecret
from perpdesk.vault.blob import SealedBlob, VaultError
from perpdesk.vault.core import Vault

log = logging.getLogger(__name__)
CREDENTIALS_PURPOSE = "credentials"


async def _put_blob(session: AsyncSession, blob: SealedBlob, *, user_id: str, ref: str, purpose: str) -> int:
    row = await SealedSecretRepo(session).put(user_id=user_id, ref=ref, purpose=purpose, blob=blob.to_bytes())
    return row.id


async def _get_blob(session: AsyncSession, *, user_id: str, ref: str, purpose: str) -> bytes | None:
    row = await SealedSecretRepo(session).get(user_id=user_id, ref=ref, purpose=purpose)
    return row.blob if row is not None else None


async def put_secret(
    session: AsyncSession,
    vault: Vault,
    *,
    user_id: str,
    ref: str,
    purpose: str,
    plaintext: bytes | str | dict[str, Any],
) -> int:
    blob = vault.seal(plaintext, user_id=user_id, account_id=ref)
    return await _put_blob(session, blob, user_id=user_id, ref=ref, purpose=purpose)


async def get_secret(
    session: AsyncSession, vault: Vault, *, user_id: str, ref: str, purpose: str
) -> bytes | None:
    blob = await _get_blob(session, user_id=user_id, ref=ref, purpose=purpose)
    return vault.open(blob, user_id=user_id, account_id=ref) if blob is not None else None


async def put_credentials(
    session: AsyncSession, vault: Vault, creds: Credentials, *, user_id: str, account_id: str
) -> int:
    blob = vault.seal_credentials(creds, user_id=user_id, account_id=account_id)
    return await _put_blob(session, blob, user_id=user_id, ref=account_id, purpose=CREDENTIALS_PURPOSE)


async def get_credentials(
    session: AsyncSession, vault: Vault, *, user_id: str, account_id: str
) -> Credentials | None:
    blob = await _get_blob(session, user_id=user_id, ref=account_id, purpose=CREDENTIALS_PURPOSE)
    return vault.open_credentials(blob, user_id=user_id, account_id=account_id) if blob is not None else None


class SealedSecrets:
    """A user's own secrets (the webhook signing secret, TOTP seeds), sealed per (user, ref)."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.s = session
        self.vault = vault

    async def put(self, *, user_id: str, ref: str, purpose: str, plaintext: bytes | str) -> None:
        await put_secret(self.s, self.vault, user_id=user_id, ref=ref, purpose=purpose, plaintext=plaintext)

    async def get(self, *, user_id: str, ref: str, purpose: str) -> bytes | None:
        return await get_secret(self.s, self.vault, user_id=user_id, ref=ref, purpose=purpose)

    async def exists(self, *, user_id: str, ref: str, purpose: str) -> bool:
        return await SealedSecretRepo(self.s).get(user_id=user_id, ref=ref, purpose=purpose) is not None

    async def delete(self, *, user_id: str, ref: str, purpose: str) -> None:
        await SealedSecretRepo(self.s).delete(user_id=user_id, ref=ref, purpose=purpose)

    async def rename(self, *, user_id: str, ref: str, purpose: str, to: str) -> bool:
        """Give the sealed secret another purpose (it stays sealed to (user, ref)); False if none."""
        row = await SealedSecretRepo(self.s).get(user_id=user_id, ref=ref, purpose=purpose)
        if row is None:
            return False
        row.purpose = to
        await self.s.flush()
        return True


class SealedCredentials:
    """An account's credentials, sealed in `sealed_secrets` (ref = the account id)."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.s = session
        self.vault = vault

    async def put(self, creds: Credentials, *, user_id: str, account_id: str) -> None:
        await put_credentials(self.s, self.vault, creds, user_id=user_id, account_id=account_id)

    async def get(self, *, user_id: str, account_id: str) -> Credentials | None:
        return await get_credentials(self.s, self.vault, user_id=user_id, account_id=account_id)

    async def of_account(self, *, user_id: str, account_id: str) -> Credentials | None:
        """The credentials of the user's connected account: None once the account is gone, even
        if its sealed row were left. One query (a mirror opens the key for every REST read)."""
        blob = await self.sealed_of_account(user_id=user_id, account_id=account_id)
        return self.vault.open_credentials(blob, user_id=user_id, account_id=account_id) if blob else None

    async def sealed_of_account(self, *, user_id: str, account_id: str) -> bytes | None:
        """`of_account`'s blob, still sealed: a mirror keeps it and opens it for each read."""
        sec, acct = SealedSecret, ExchangeAccount
        return await self.s.scalar(
            select(sec.blob)
            .join(acct, and_(acct.id == sec.ref, acct.user_id == sec.user_id))
            .where(sec.user_id == user_id, sec.ref == account_id, sec.purpose == CREDENTIALS_PURPOSE)
        )

    async def delete(self, *, user_id: str, account_id: str) -> None:
        await SealedSecretRepo(self.s).delete(user_id=user_id, ref=account_id, purpose=CREDENTIALS_PURPOSE)

    async def of_user(self, user_id: str) -> dict[str, Credentials]:
        """Every account's credentials of the user, read in one query (by account id). One that
        does not open is left out (logged): its account reads as missing its credentials."""
        out: dict[str, Credentials] = {}
        for ref, blob in await SealedSecretRepo(self.s).blobs_of_user(user_id, CREDENTIALS_PURPOSE):
            try:
                out[ref] = self.vault.open_credentials(blob, user_id=user_id, account_id=ref)
            except VaultError:
                log.warning("the credentials of account %s do not open", ref)
        return out
