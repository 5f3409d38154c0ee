"""The vault over a real database: rotation keeps every secret readable while the platform keeps
working, and no plaintext reaches the SQLite file."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.core.models import Credentials
from perpdesk.store.db import make_engine, make_sessionmaker, migrate
from perpdesk.store.repos import UserRepo
from perpdesk.store.sealed import get_credentials, put_credentials
from perpdesk.store.sealed_secrets import SealedSecret
from perpdesk.store.vault_rotation import count_versions, rotate, sealed_columns
from perpdesk.vault import FileMasterKey, SealedBlob, Vault, ensure_keyring_file

SM = async_sessionmaker[AsyncSession]


def _creds(i: int) -> Credentials:
    return Credentials(
        api_key=f"api-key-{i:04d}", secret=f"SECRET-{i:04d}-x9q", passphrase=f"MEMO-{i:04d}-z7"
    )


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(FileMasterKey, "RECHECK_S", 0.0)  # "servers" notice the new key at once
    path = tmp_path / "master.key"
    ensure_keyring_file(path)
    return path


async def _seed(sm: SM, vault: Vault, n: int) -> list[tuple[str, str, Credentials]]:
    out = []
    async with sm() as s:
        for u in range(3):
            user = await UserRepo(s).create(f"rot{u}-{id(out)}@example.com", "h")
            for i in range(n):
                creds = _creds(u * 1000 + i)
                await put_credentials(s, vault, creds, user_id=user.id, account_id=f"acc-{i}")
                out.append((user.id, f"acc-{i}", creds))
        await s.commit()
    return out


async def test_rotation_keeps_every_credential_readable_without_downtime(
    db_sessionmaker: SM, key_file: Path
) -> None:
    server_vault = Vault(FileMasterKey(key_file))  # the running platform's view of the key file
    seeded = await _seed(db_sessionmaker, server_vault, 70)  # > one batch per sweep (200)
    before = await count_versions(db_sessionmaker)
    assert set(before) == {1}

    stop = asyncio.Event()
    served: list[int] = []

    async def platform_keeps_working() -> None:
        i = 0
        while not stop.is_set():
            user_id, account_id, creds = seeded[i % len(seeded)]
            async with db_sessionmaker() as s:
                assert await get_credentials(s, server_vault, user_id=user_id, account_id=account_id) == creds
                new = _creds(5000 + i)
                await put_credentials(s, server_vault, new, user_id=user_id, account_id=f"live-{i}")
                await s.commit()
                seeded.append((user_id, f"live-{i}", new))
            served.append(i)
            i += 1
            await asyncio.sleep(0)

    worker = asyncio.create_task(platform_keeps_working())
    report = await rotate(db_sessionmaker, FileMasterKey(key_file), grace_s=0.05)
    stop.set()
    await worker

    assert served, "the platform served requests during rotation"
    assert report.new_version == 2 and report.old_versions == [1]
    assert report.rewrapped >= 210 and report.unreadable == []
    assert report.pruned is True
    assert dict(await count_versions(db_sessionmaker)) == {2: len(seeded)}
    on_disk = json.loads(key_file.read_text())
    assert on_disk["current"] == 2 and list(on_disk["keys"]) == ["2"]

    fresh = Vault(FileMasterKey(key_file))  # only the new key exists now
    async with db_sessionmaker() as s:
        for user_id, account_id, creds in seeded:
            assert await get_credentials(s, fresh, user_id=user_id, account_id=account_id) == creds


async def test_rotation_never_changes_ciphertexts(db_sessionmaker: SM, key_file: Path) -> None:
    vault = Vault(FileMasterKey(key_file))
    await _seed(db_sessionmaker, vault, 2)
    async with db_sessionmaker() as s:
        before = {r.id: SealedBlob.from_bytes(r.blob) for r in (await s.scalars(select(SealedSecret))).all()}
    await rotate(db_sessionmaker, FileMasterKey(key_file), grace_s=0.0, prune=False)
    async with db_sessionmaker() as s:
        after = {r.id: SealedBlob.from_bytes(r.blob) for r in (await s.scalars(select(SealedSecret))).all()}
    assert before.keys() == after.keys()
    for rid, old in before.items():
        new = after[rid]
        if old.key_version == 2:  # rows of another test in the shared PostgreSQL module DB
            continue
        assert (new.ciphertext, new.nonce) == (old.ciphertext, old.nonce)
        assert new.key_version == 2 and new.wrapped_key != old.wrapped_key
    assert sorted(json.loads(key_file.read_text())["keys"]) == ["1", "2"]  # --keep-old


async def test_rotation_refuses_an_environment_key(db_sessionmaker: SM) -> None:
    from perpdesk.vault import EnvMasterKey, Keyring, MasterKeyError

    ring = Keyring.generate()
    with pytest.raises(MasterKeyError, match="PERPDESK_MASTER_KEY_FILE"):
        await rotate(db_sessionmaker, EnvMasterKey(ring.to_json()))


def test_rotation_covers_every_sealed_column_of_every_model() -> None:
    """Any part's `sealed_*` column must be a LargeBinary holding vault blobs, or rotation misses it."""
    from perpdesk.store.base import Base

    columns = {(t.name, c) for t, c in sealed_columns()}
    assert ("sealed_secrets", "blob") in columns
    named = {
        (t.name, c.name)
        for t in Base.metadata.sorted_tables
        for c in t.columns
        if c.name.startswith("sealed")
    }
    assert named <= columns, f"sealed columns rotation cannot see: {named - columns}"


async def test_no_plaintext_secret_in_the_sqlite_file(tmp_path: Path, key_file: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'plain.sqlite3'}"
    await migrate(url)
    engine = make_engine(url)
    sm = make_sessionmaker(engine)
    vault = Vault(FileMasterKey(key_file))
    seeded = await _seed(sm, vault, 5)
    await rotate(sm, FileMasterKey(key_file), grace_s=0.0)
    await engine.dispose()  # checkpoints the WAL into the main file
    files = [p for p in tmp_path.iterdir() if p.name.startswith("plain.sqlite3")]
    data = b"".join(p.read_bytes() for p in files)
    assert b"sealed_secrets" in data  # we are looking at the right file
    for _, _, creds in seeded:
        for secret in (creds.secret, creds.passphrase):
            for encoding in ("utf-8", "utf-16-le"):
                assert secret.encode(encoding) not in data
    master = json.loads(key_file.read_text())["keys"]
    for key_b64 in master.values():
        assert key_b64.encode() not in data
