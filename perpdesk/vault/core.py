"""The Vault: envelope encryption with AES-256-GCM.

seal: a fresh 256-bit data key encrypts the plaintext (AAD = user + account binding); the
master key (current version) wraps the data key. open: unwrap with the blob's master-key
version, then decrypt; any tampering or a different (user, account) binding fails the GCM tag.
Re-wrapping (rotation) touches only the wrapped data key: the ciphertext is never re-encrypted
and plaintext never leaves memory.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from perpdesk.core.models import Credentials
from perpdesk.vault.blob import NONCE_LEN, SealedBlob, VaultError
from perpdesk.vault.keys import MasterKeyProvider

_DATA_AAD = b"perpdesk/vault/v1/data"
_WRAP_AAD = b"perpdesk/vault/v1/dek"


def binding(user_id: object, account_id: object) -> bytes:
    """Length-prefixed so ("a|b", "c") and ("a", "b|c") can never collide."""
    u, a = str(user_id).encode(), str(account_id).encode()
    if not u or not a:
        raise VaultError("user_id and account_id are both required to seal or open a secret")
    return _DATA_AAD + len(u).to_bytes(4, "big") + u + len(a).to_bytes(4, "big") + a


def _wrap_aad(version: int) -> bytes:
    return _WRAP_AAD + version.to_bytes(4, "big")


class Vault:
    def __init__(self, master_key_provider: MasterKeyProvider) -> None:
        self.provider = master_key_provider

    def __repr__(self) -> str:
        return "Vault()"

    # --- the two operations ----------------------------------------------------------------
    def seal(
        self, plaintext: bytes | str | dict[str, Any], *, user_id: object, account_id: object
    ) -> SealedBlob:
        data = _to_bytes(plaintext)
        keyring = self.provider.keyring()
        version = keyring.current
        dek = AESGCM.generate_key(bit_length=256)
        nonce = secrets.token_bytes(NONCE_LEN)
        ciphertext = AESGCM(dek).encrypt(nonce, data, binding(user_id, account_id))
        return SealedBlob(
            key_version=version,
            wrapped_key=self._wrap(dek, keyring.key(version), version),
            nonce=nonce,
            ciphertext=ciphertext,
        )

    def open(self, blob: SealedBlob | bytes, *, user_id: object, account_id: object) -> bytes:
        blob = _as_blob(blob)
        dek = self._unwrap(blob)
        try:
            return AESGCM(dek).decrypt(blob.nonce, blob.ciphertext, binding(user_id, account_id))
        except InvalidTag:
            raise VaultError(
                "sealed secret does not open: it was altered, or it belongs to another user/account"
            ) from None

    def open_json(self, blob: SealedBlob | bytes, *, user_id: object, account_id: object) -> dict[str, Any]:
        value = json.loads(self.open(blob, user_id=user_id, account_id=account_id))
        if not isinstance(value, dict):
            raise VaultError("sealed secret is not a JSON object")
        return value

    # --- credentials convenience -----------------------------------------------------------
    def seal_credentials(self, creds: Credentials, *, user_id: object, account_id: object) -> SealedBlob:
        doc = {"api_key": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase}
        return self.seal(doc, user_id=user_id, account_id=account_id)

    def open_credentials(
        self, blob: SealedBlob | bytes, *, user_id: object, account_id: object
    ) -> Credentials:
        doc = self.open_json(blob, user_id=user_id, account_id=account_id)
        return Credentials(api_key=doc["api_key"], secret=doc["secret"], passphrase=doc.get("passphrase", ""))

    # --- rotation --------------------------------------------------------------------------
    def rewrap(self, blob: SealedBlob | bytes, to_version: int | None = None) -> SealedBlob:
        """The same ciphertext with its data key wrapped under `to_version` (default: current)."""
        blob = _as_blob(blob)
        keyring = self.provider.keyring()
        version = keyring.current if to_version is None else to_version
        if blob.key_version == version:
            return blob
        dek = self._unwrap(blob)
        return SealedBlob(
            key_version=version,
            wrapped_key=self._wrap(dek, keyring.key(version), version),
            nonce=blob.nonce,
            ciphertext=blob.ciphertext,
        )

    # --- internals -------------------------------------------------------------------------
    @staticmethod
    def _wrap(dek: bytes, master: bytes, version: int) -> bytes:
        nonce = secrets.token_bytes(NONCE_LEN)
        return nonce + AESGCM(master).encrypt(nonce, dek, _wrap_aad(version))

    def _unwrap(self, blob: SealedBlob) -> bytes:
        master = self.provider.keyring().key(blob.key_version)
        nonce, wrapped = blob.wrapped_key[:NONCE_LEN], blob.wrapped_key[NONCE_LEN:]
        try:
            return AESGCM(master).decrypt(nonce, wrapped, _wrap_aad(blob.key_version))
        except InvalidTag:
            raise VaultError(
                f"data key does not unwrap under master key version {blob.key_version}: "
                "the blob was altered or the master key file is not the one it was sealed with"
            ) from None


def _to_bytes(plaintext: bytes | str | dict[str, Any]) -> bytes:
    if isinstance(plaintext, bytes):
        return plaintext
    if isinstance(plaintext, str):
        return plaintext.encode()
    if isinstance(plaintext, dict):
        return json.dumps(plaintext, separators=(",", ":"), sort_keys=True).encode()
    raise TypeError("seal() takes bytes, str or a JSON-able dict")


def _as_blob(blob: SealedBlob | bytes) -> SealedBlob:
    if isinstance(blob, SealedBlob):
        return blob
    return SealedBlob.from_bytes(blob)
