"""vault: credentials sealed with AES-256-GCM under per-record data keys wrapped by a master key.

Use:
    vault = Vault(provider_from_settings(...))       # or Vault(FileMasterKey(path))
    blob = vault.seal(b"..." | {"k": "v"}, user_id=u, account_id=a)    # -> SealedBlob
    column_value = blob.to_bytes()                    # store in any LargeBinary column
    vault.open(column_value, user_id=u, account_id=a) # -> bytes; VaultError if tampered/mis-bound
    vault.seal_credentials(creds, ...) / vault.open_credentials(blob, ...)

Store blobs as `SealedBlob.to_bytes()` in a LargeBinary column (any table) or in the
`sealed_secrets` table (perpdesk.store.sealed.put_secret / put_credentials): `perpdesk vault
rotate` finds and re-wraps vault blobs in every LargeBinary column of every model.
"""

from perpdesk.vault.blob import SealedBlob, VaultError, is_sealed_blob
from perpdesk.vault.core import Vault
from perpdesk.vault.keys import (
    EnvMasterKey,
    FileMasterKey,
    Keyring,
    MasterKeyError,
    MasterKeyProvider,
    StaticMasterKey,
    ensure_keyring_file,
    provider_from_settings,
)

__all__ = [
    "EnvMasterKey",
    "FileMasterKey",
    "Keyring",
    "MasterKeyError",
    "MasterKeyProvider",
    "SealedBlob",
    "StaticMasterKey",
    "Vault",
    "VaultError",
    "ensure_keyring_file",
    "is_sealed_blob",
    "provider_from_settings",
]


def vault_from_settings(settings: object) -> Vault:
    """The Vault configured by perpdesk.settings.Settings (env key, key file, or data_dir/master.key)."""
    from perpdesk.settings import Settings

    assert isinstance(settings, Settings)
    key = settings.master_key.get_secret_value() if settings.master_key else None
    return Vault(
        provider_from_settings(key, settings.master_key_file, default_file=settings.default_master_key_file())
    )
