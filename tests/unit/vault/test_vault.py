"""The vault's envelope encryption: round trips, tampering, wrong bindings, keys, re-wrapping."""

from __future__ import annotations

import base64
import os
import time
from pathlib import Path

import pytest

from perpdesk.core.models import Credentials
from perpdesk.vault import (
    EnvMasterKey,
    FileMasterKey,
    Keyring,
    MasterKeyError,
    SealedBlob,
    StaticMasterKey,
    Vault,
    VaultError,
    ensure_keyring_file,
    is_sealed_blob,
)
from perpdesk.vault.keys import write_keyring_file

SECRET = b"bm-secret-7f3a9c1d0e"


@pytest.fixture
def vault() -> Vault:
    return Vault(StaticMasterKey(Keyring.generate()))


def test_round_trip_bytes_str_dict(vault: Vault) -> None:
    for value, expected in [
        (SECRET, SECRET),
        ("päss", "päss".encode()),
        ({"b": 1, "a": "x"}, b'{"a":"x","b":1}'),
    ]:
        blob = vault.seal(value, user_id="u1", account_id="acc1")
        assert vault.open(blob, user_id="u1", account_id="acc1") == expected
        assert vault.open(blob.to_bytes(), user_id="u1", account_id="acc1") == expected


def test_each_seal_uses_a_fresh_data_key_and_nonce(vault: Vault) -> None:
    a = vault.seal(SECRET, user_id="u1", account_id="acc1")
    b = vault.seal(SECRET, user_id="u1", account_id="acc1")
    assert a.nonce != b.nonce and a.wrapped_key != b.wrapped_key and a.ciphertext != b.ciphertext
    assert SECRET not in a.to_bytes()


def test_credentials_convenience(vault: Vault) -> None:
    creds = Credentials(api_key="key-123456", secret="s3cr3t-value", passphrase="memo-xyz")
    blob = vault.seal_credentials(creds, user_id="u1", account_id="acc1")
    raw = blob.to_bytes()
    assert b"s3cr3t-value" not in raw and b"memo-xyz" not in raw and b"key-123456" not in raw
    assert vault.open_credentials(raw, user_id="u1", account_id="acc1") == creds
    assert "s3cr3t" not in repr(blob) and "s3cr3t" not in repr(creds)


@pytest.mark.parametrize(
    ("user_id", "account_id"),
    [("u2", "acc1"), ("u1", "acc2"), ("u2", "acc2"), ("u1 ", "acc1"), ("U1", "acc1")],
)
def test_mis_bound_blob_does_not_open(vault: Vault, user_id: str, account_id: str) -> None:
    blob = vault.seal(SECRET, user_id="u1", account_id="acc1")
    with pytest.raises(VaultError, match="another user/account"):
        vault.open(blob, user_id=user_id, account_id=account_id)


def test_binding_is_unambiguous(vault: Vault) -> None:
    """("a|b", "c") and ("a", "b|c") must not share associated data."""
    blob = vault.seal(SECRET, user_id="a|b", account_id="c")
    with pytest.raises(VaultError):
        vault.open(blob, user_id="a", account_id="b|c")


def test_empty_binding_is_refused(vault: Vault) -> None:
    with pytest.raises(VaultError, match="required"):
        vault.seal(SECRET, user_id="", account_id="acc1")


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1 :]


def test_tampering_anywhere_is_detected(vault: Vault) -> None:
    raw = vault.seal(SECRET, user_id="u1", account_id="acc1").to_bytes()
    header = 4 + 4 + 2
    for index in range(header, len(raw)):  # every byte of wrapped key, nonce, ciphertext and tag
        with pytest.raises(VaultError):
            vault.open(_flip(raw, index), user_id="u1", account_id="acc1")


def test_tampered_version_or_format_is_detected(vault: Vault) -> None:
    raw = vault.seal(SECRET, user_id="u1", account_id="acc1").to_bytes()
    with pytest.raises(VaultError, match="not a sealed blob"):
        vault.open(b"XXXX" + raw[4:], user_id="u1", account_id="acc1")
    with pytest.raises(VaultError, match="version 2 is not in the keyring"):
        vault.open(raw[:7] + b"\x02" + raw[8:], user_id="u1", account_id="acc1")
    with pytest.raises(VaultError, match="truncated"):
        vault.open(raw[:30], user_id="u1", account_id="acc1")


def test_swapped_parts_between_blobs_do_not_open(vault: Vault) -> None:
    a = vault.seal(SECRET, user_id="u1", account_id="acc1")
    b = vault.seal(b"other", user_id="u1", account_id="acc1")
    mixed = SealedBlob(key_version=1, wrapped_key=b.wrapped_key, nonce=a.nonce, ciphertext=a.ciphertext)
    with pytest.raises(VaultError):
        vault.open(mixed, user_id="u1", account_id="acc1")


def test_another_master_key_does_not_open(vault: Vault) -> None:
    blob = vault.seal(SECRET, user_id="u1", account_id="acc1")
    other = Vault(StaticMasterKey(Keyring.generate()))
    with pytest.raises(VaultError, match="does not unwrap"):
        other.open(blob, user_id="u1", account_id="acc1")


def test_rewrap_changes_only_the_wrapped_key() -> None:
    provider = StaticMasterKey(Keyring.generate())
    vault = Vault(provider)
    blob = vault.seal(SECRET, user_id="u1", account_id="acc1")
    provider.set(provider.keyring().with_new_key())
    new = vault.rewrap(blob)
    assert new.key_version == 2 and blob.key_version == 1
    assert new.ciphertext == blob.ciphertext and new.nonce == blob.nonce
    assert new.wrapped_key != blob.wrapped_key
    provider.set(provider.keyring().only({2}))  # old key gone: only the re-wrapped blob opens
    assert vault.open(new, user_id="u1", account_id="acc1") == SECRET
    with pytest.raises(VaultError, match="version 1"):
        vault.open(blob, user_id="u1", account_id="acc1")
    assert vault.rewrap(new) is new


def test_is_sealed_blob(vault: Vault) -> None:
    assert is_sealed_blob(vault.seal(SECRET, user_id="u", account_id="a").to_bytes())
    assert not is_sealed_blob(b"plain") and not is_sealed_blob(None) and not is_sealed_blob("PDV1")


# --- master key sources -------------------------------------------------------------------


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def test_env_key_single_and_keyring_forms() -> None:
    single = EnvMasterKey(_key()).keyring()
    assert single.current == 1 and list(single.keys) == [1]
    ring = EnvMasterKey(f"3:{_key()},2:{_key()}").keyring()
    assert ring.current == 3 and sorted(ring.keys) == [2, 3]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("not base64!!", "base64 of 32 random bytes"),
        (base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
        ("x:abc", "VERSION:BASE64KEY"),
    ],
)
def test_bad_env_key_names_the_variable(value: str, message: str) -> None:
    with pytest.raises(MasterKeyError, match=message) as exc:
        EnvMasterKey(value)
    assert "PERPDESK_MASTER_KEY" in str(exc.value)
    assert value not in str(exc.value) or value == "x:abc"


def test_missing_key_file_says_how_to_create_it(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="perpdesk vault init") as exc:
        FileMasterKey(tmp_path / "nope.key")
    assert "PERPDESK_MASTER_KEY_FILE" in str(exc.value)


def test_malformed_key_file(tmp_path: Path) -> None:
    path = tmp_path / "master.key"
    path.write_text("{not json")
    with pytest.raises(MasterKeyError, match="not a perpdesk keyring"):
        FileMasterKey(path)


def test_key_file_is_created_private_and_reloaded_on_change(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "keys" / "master.key"
    assert ensure_keyring_file(path) is True
    assert ensure_keyring_file(path) is False  # never overwrites
    assert path.stat().st_mode & 0o777 == 0o600
    monkeypatch.setattr(FileMasterKey, "RECHECK_S", 0.0)
    server_view = FileMasterKey(path)  # e.g. a running server
    vault = Vault(server_view)
    blob = vault.seal(SECRET, user_id="u", account_id="a")
    write_keyring_file(path, server_view.keyring().with_new_key())  # `vault rotate`, elsewhere
    time.sleep(0.01)
    assert server_view.keyring().current == 2
    assert vault.seal(SECRET, user_id="u", account_id="a").key_version == 2
    assert vault.open(blob, user_id="u", account_id="a") == SECRET


def test_keyring_repr_hides_keys() -> None:
    ring = Keyring.generate()
    assert base64.b64encode(ring.keys[1]).decode() not in repr(ring)
    assert repr(Vault(StaticMasterKey(ring))) == "Vault()"
