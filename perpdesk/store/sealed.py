"""Vault blobs in the `sealed_secrets` table: seal and store, load and open (bound to (user_id, ref)).

The vault itself (perpdesk/vault/) is pure crypto and knows no table."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from perpdesk.core.models import Credentials
from perpdesk.store.repos import SealedSecretRepo
from perpdesk.vault.core import Vault

CREDENTIALS_PURPOSE = "credentials"


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
    row = await SealedSecretRepo(session).put(user_id=user_id, ref=ref, purpose=purpose, blob=blob.to_bytes())
    return row.id


async def get_secret(
    session: AsyncSession, vault: Vault, *, user_id: str, ref: str, purpose: str
) -> bytes | None:
    row = await SealedSecretRepo(session).get(user_id=user_id, ref=ref, purpose=purpose)
    if row is None:
        return None
    return vault.open(row.blob, user_id=user_id, account_id=ref)


async def put_credentials(
    session: AsyncSession, vault: Vault, creds: Credentials, *, user_id: str, account_id: str
) -> int:
    blob = vault.seal_credentials(creds, user_id=user_id, account_id=account_id)
    row = await SealedSecretRepo(session).put(
        user_id=user_id, ref=account_id, purpose=CREDENTIALS_PURPOSE, blob=blob.to_bytes()
    )
    return row.id


async def get_credentials(
    session: AsyncSession, vault: Vault, *, user_id: str, account_id: str
) -> Credentials | None:
    row = await SealedSecretRepo(session).get(user_id=user_id, ref=account_id, purpose=CREDENTIALS_PURPOSE)
    if row is None:
        return None
    return vault.open_credentials(row.blob, user_id=user_id, account_id=account_id)


class SealedCredentials:
    """An account's credentials, sealed in `sealed_secrets` (ref = the account id)."""

    def __init__(self, session: AsyncSession, vault: Vault) -> None:
        self.s = session
        self.vault = vault

    async def put(self, creds: Credentials, *, user_id: str, account_id: str) -> None:
        await put_credentials(self.s, self.vault, creds, user_id=user_id, account_id=account_id)

    async def get(self, *, user_id: str, account_id: str) -> Credentials | None:
        return await get_credentials(self.s, self.vault, user_id=user_id, account_id=account_id)

    async def delete(self, *, user_id: str, account_id: str) -> None:
        await SealedSecretRepo(self.s).delete(user_id=user_id, ref=account_id, purpose=CREDENTIALS_PURPOSE)
