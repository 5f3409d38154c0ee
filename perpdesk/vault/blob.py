"""SealedBlob: one sealed secret, and its compact byte form for a LargeBinary column.

Byte layout (big-endian): b"PDV1" | key_version u32 | len(wrapped_key) u16 | wrapped_key |
nonce (12) | ciphertext+tag. The wrapped key itself is nonce (12) | AES-GCM(master, data key)+tag.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"PDV1"
NONCE_LEN = 12
_HEADER = struct.Struct(">4sIH")


class VaultError(Exception):
    """A blob cannot be opened: tampered, bound to another owner, or its master key is unknown.

    The message never contains key material or plaintext.
    """


@dataclass(frozen=True, slots=True)
class SealedBlob:
    key_version: int  # which master key wrapped the data key
    wrapped_key: bytes  # nonce | AES-GCM(master key, data key)
    nonce: bytes  # for the data ciphertext
    ciphertext: bytes  # AES-GCM(data key, plaintext), tag appended

    def __repr__(self) -> str:
        return f"SealedBlob(key_version={self.key_version}, ciphertext=<{len(self.ciphertext)} bytes>)"

    def to_bytes(self) -> bytes:
        if len(self.nonce) != NONCE_LEN:
            raise VaultError("nonce must be 12 bytes")
        return (
            _HEADER.pack(MAGIC, self.key_version, len(self.wrapped_key))
            + self.wrapped_key
            + self.nonce
            + self.ciphertext
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> SealedBlob:
        data = bytes(data)
        if len(data) < _HEADER.size or data[:4] != MAGIC:
            raise VaultError("not a sealed blob (unknown format)")
        _, version, wk_len = _HEADER.unpack_from(data)
        start = _HEADER.size
        wrapped = data[start : start + wk_len]
        nonce = data[start + wk_len : start + wk_len + NONCE_LEN]
        ciphertext = data[start + wk_len + NONCE_LEN :]
        if len(wrapped) != wk_len or len(nonce) != NONCE_LEN or len(ciphertext) < 16:
            raise VaultError("sealed blob is truncated")
        return cls(key_version=version, wrapped_key=wrapped, nonce=nonce, ciphertext=ciphertext)


def is_sealed_blob(data: object) -> bool:
    return isinstance(data, bytes | bytearray | memoryview) and bytes(data[:4]) == MAGIC
