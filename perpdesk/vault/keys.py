"""Master keys: a versioned keyring from a file or the environment.

File format (JSON, mode 0600): {"current": 2, "keys": {"1": "<base64 32 bytes>", "2": "..."}}.
Environment (`PERPDESK_MASTER_KEY`): one base64 key (version 1) or a keyring `2:KEY2,1:KEY1`
whose first entry is current. Old versions stay in the keyring until no blob uses them, so
rows sealed before a rotation remain readable while `perpdesk vault rotate` re-wraps them.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from perpdesk.vault.blob import VaultError

KEY_LEN = 32


class MasterKeyError(Exception):
    """The master key is missing or malformed; the message says where and what to do."""


@dataclass(frozen=True)
class Keyring:
    current: int
    keys: dict[int, bytes]

    def __post_init__(self) -> None:
        if self.current not in self.keys:
            raise MasterKeyError(f"keyring's current version {self.current} has no key")
        for version, key in self.keys.items():
            if len(key) != KEY_LEN:
                raise MasterKeyError(f"master key version {version} is {len(key)} bytes; it must be 32")

    def __repr__(self) -> str:
        return f"Keyring(current={self.current}, versions={sorted(self.keys)})"

    def key(self, version: int) -> bytes:
        try:
            return self.keys[version]
        except KeyError:
            raise VaultError(
                f"master key version {version} is not in the keyring; restore it from backup"
            ) from None

    def with_new_key(self) -> Keyring:
        version = max(self.keys) + 1
        return Keyring(current=version, keys={**self.keys, version: secrets.token_bytes(KEY_LEN)})

    def only(self, versions: set[int]) -> Keyring:
        return Keyring(current=self.current, keys={v: k for v, k in self.keys.items() if v in versions})

    def to_json(self) -> str:
        return json.dumps(
            {
                "current": self.current,
                "keys": {str(v): base64.b64encode(k).decode() for v, k in sorted(self.keys.items())},
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, *, source: str) -> Keyring:
        try:
            doc = json.loads(text)
            keys = {int(v): _b64(k, source) for v, k in doc["keys"].items()}
            return cls(current=int(doc["current"]), keys=keys)
        except MasterKeyError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError):
            raise MasterKeyError(
                f"{source}: not a perpdesk keyring (JSON with 'current' and 'keys'); "
                "create one with `perpdesk vault init`"
            ) from None

    @classmethod
    def from_env_value(cls, value: str, *, source: str = "PERPDESK_MASTER_KEY") -> Keyring:
        value = value.strip()
        if value.startswith("{"):
            return cls.from_json(value, source=source)
        if ":" not in value:
            return cls(current=1, keys={1: _b64(value, source)})
        keys: dict[int, bytes] = {}
        order: list[int] = []
        for part in value.split(","):
            version_text, _, key_text = part.strip().partition(":")
            try:
                version = int(version_text)
            except ValueError:
                raise MasterKeyError(
                    f"{source}: expected VERSION:BASE64KEY entries, e.g. 2:...,1:..."
                ) from None
            keys[version] = _b64(key_text, source)
            order.append(version)
        return cls(current=order[0], keys=keys)

    @classmethod
    def generate(cls) -> Keyring:
        return cls(current=1, keys={1: secrets.token_bytes(KEY_LEN)})


def _b64(text: str, source: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise MasterKeyError(f"{source}: a master key must be base64 of 32 random bytes") from None
    if len(key) != KEY_LEN:
        raise MasterKeyError(f"{source}: the master key decodes to {len(key)} bytes; it must be 32")
    return key


class MasterKeyProvider(Protocol):
    def keyring(self) -> Keyring: ...


class StaticMasterKey:
    """A keyring held in memory (tests, or a key given in the environment)."""

    def __init__(self, keyring: Keyring) -> None:
        self._keyring = keyring

    def keyring(self) -> Keyring:
        return self._keyring

    def set(self, keyring: Keyring) -> None:
        self._keyring = keyring


class EnvMasterKey(StaticMasterKey):
    def __init__(self, value: str) -> None:
        super().__init__(Keyring.from_env_value(value))


class FileMasterKey:
    """A keyring file, re-read when it changes, so a running server follows `vault rotate`."""

    RECHECK_S = 0.5  # stat at most this often; rotation waits longer than this between phases

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0
        self._keyring: Keyring | None = None
        self._load()

    def _load(self) -> None:
        try:
            st = self.path.stat()
            text = self.path.read_text()
        except FileNotFoundError:
            raise MasterKeyError(
                f"PERPDESK_MASTER_KEY_FILE: {self.path} does not exist; create it with "
                f"`perpdesk vault init --file {self.path}` (and back it up)"
            ) from None
        except PermissionError:
            raise MasterKeyError(f"PERPDESK_MASTER_KEY_FILE: cannot read {self.path} (permissions)") from None
        self._keyring = Keyring.from_json(text, source=f"PERPDESK_MASTER_KEY_FILE ({self.path})")
        self._stamp = (st.st_mtime_ns, st.st_size)

    def keyring(self) -> Keyring:
        now = time.monotonic()
        if now - self._checked >= self.RECHECK_S:
            with self._lock:
                self._checked = now
                try:
                    st = self.path.stat()
                    if (st.st_mtime_ns, st.st_size) != self._stamp:
                        self._load()
                except (FileNotFoundError, MasterKeyError):
                    pass  # keep serving with the keys we have; `vault status` reports the file problem
        assert self._keyring is not None
        return self._keyring

    def write(self, keyring: Keyring) -> None:
        write_keyring_file(self.path, keyring)
        with self._lock:
            self._load()


def write_keyring_file(path: Path, keyring: Keyring) -> None:
    """Atomically replace `path` (0600): a crash leaves the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".master.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(keyring.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ensure_keyring_file(path: Path) -> bool:
    """Create a new keyring file if none exists. Returns True when it created one."""
    if path.exists():
        return False
    write_keyring_file(path, Keyring.generate())
    return True


def provider_from_settings(
    master_key: str | None, master_key_file: Path | None, *, default_file: Path | None = None
) -> MasterKeyProvider:
    """The configured source: PERPDESK_MASTER_KEY, else PERPDESK_MASTER_KEY_FILE, else default_file."""
    if master_key:
        return EnvMasterKey(master_key)
    path = master_key_file or default_file
    if path is None:
        raise MasterKeyError(
            "PERPDESK_MASTER_KEY_FILE or PERPDESK_MASTER_KEY: no master key configured; run "
            "`perpdesk vault init --file PATH` and set PERPDESK_MASTER_KEY_FILE=PATH"
        )
    return FileMasterKey(path)
