"""Master-key rotation without downtime and without plaintext ever being written.

1. Append a new master key to the keyring file and make it current (old keys stay, so every
   existing blob still opens; running servers re-read the file within FileMasterKey.RECHECK_S).
2. Re-wrap every blob's data key under the new key, in small committed batches, wherever blobs
   live: every LargeBinary column of every table whose value is a vault blob (sealed_secrets and
   every other table alike). Each update is a compare-and-swap on the old bytes, so a row that
   changed meanwhile is left to the next sweep. Ciphertexts are never re-encrypted.
3. Sweep again (servers that sealed just before noticing the new key), then drop the old keys
   from the file once no blob uses them. If a late blob with an old version shows up after the
   prune, the old keys are put back (we still hold them in memory) and the sweep repeats.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import LargeBinary, Table, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from perpdesk.store.base import Base
from perpdesk.vault.blob import SealedBlob, VaultError, is_sealed_blob
from perpdesk.vault.core import Vault
from perpdesk.vault.keys import FileMasterKey, Keyring, MasterKeyError, MasterKeyProvider

BATCH = 200


@dataclass
class RotationReport:
    old_versions: list[int]
    new_version: int
    rewrapped: int = 0
    pruned: bool = False
    unreadable: list[str] = field(default_factory=list)  # "table.column#pk": blobs that did not unwrap


def sealed_columns() -> Iterator[tuple[Table, str]]:
    """Every (table, LargeBinary column) that may hold vault blobs."""
    import perpdesk.store.models_all  # noqa: F401  (every table registered)

    for table in Base.metadata.sorted_tables:
        if not table.primary_key.columns:
            continue
        for column in table.columns:
            if isinstance(column.type, LargeBinary):
                yield table, column.name


async def _sweep(
    sm: async_sessionmaker[AsyncSession], vault: Vault, target: int, report: RotationReport | None
) -> int:
    changed = 0
    for table, colname in sealed_columns():
        pk = next(iter(table.primary_key.columns))
        col = table.c[colname]
        last: object = None
        while True:
            async with sm() as s, s.begin():
                stmt = select(pk, col).order_by(pk).limit(BATCH)
                if last is not None:
                    stmt = stmt.where(pk > last)
                rows = (await s.execute(stmt)).all()
                for key, value in rows:
                    if not is_sealed_blob(value):
                        continue
                    raw = bytes(value)
                    blob = SealedBlob.from_bytes(raw)
                    if blob.key_version == target:
                        continue
                    try:
                        new = vault.rewrap(blob, target).to_bytes()
                    except VaultError:
                        if report is not None:
                            report.unreadable.append(f"{table.name}.{colname}#{key}")
                        continue
                    result = await s.execute(
                        update(table).where(and_(pk == key, col == raw)).values({colname: new})
                    )
                    changed += int(getattr(result, "rowcount", 0) or 0)
            if len(rows) < BATCH:
                break
            last = rows[-1][0]
    return changed


async def count_versions(sm: async_sessionmaker[AsyncSession]) -> Counter[int]:
    """How many blobs use each master-key version, across every sealed column."""
    counts: Counter[int] = Counter()
    for table, colname in sealed_columns():
        async with sm() as s:
            result = await s.stream(select(table.c[colname]))
            async for (value,) in result:
                if is_sealed_blob(value):
                    counts[SealedBlob.from_bytes(bytes(value)).key_version] += 1
    return counts


async def rotate(
    sm: async_sessionmaker[AsyncSession],
    provider: MasterKeyProvider,
    *,
    prune: bool = True,
    grace_s: float | None = None,
) -> RotationReport:
    if not isinstance(provider, FileMasterKey):
        raise MasterKeyError(
            "PERPDESK_MASTER_KEY: rotation rewrites the keyring file, and this master key comes from the "
            "environment. Move it into a file (`perpdesk vault init --file PATH --from-env`), set "
            "PERPDESK_MASTER_KEY_FILE=PATH, unset PERPDESK_MASTER_KEY, then rotate."
        )
    grace = FileMasterKey.RECHECK_S * 2.5 if grace_s is None else grace_s
    old = provider.keyring()
    new = old.with_new_key()
    report = RotationReport(old_versions=sorted(old.keys), new_version=new.current)
    await asyncio.to_thread(provider.write, new)
    await asyncio.sleep(grace)  # let running servers pick up the new current key

    vault = Vault(provider)
    report.rewrapped += await _sweep(sm, vault, new.current, report)
    report.rewrapped += await _sweep(sm, vault, new.current, None)
    if not prune or report.unreadable:
        return report

    full: Keyring = provider.keyring()
    for _attempt in range(3):
        counts = await count_versions(sm)
        if any(v != new.current and n for v, n in counts.items()):
            report.rewrapped += await _sweep(sm, vault, new.current, None)
            continue
        await asyncio.to_thread(provider.write, full.only({new.current}))
        await asyncio.sleep(grace)
        counts = await count_versions(sm)
        if not any(v != new.current and n for v, n in counts.items()):
            report.pruned = True
            return report
        # a server sealed under an old key after all: put the old keys back and go round again
        await asyncio.to_thread(provider.write, full)
        report.rewrapped += await _sweep(sm, vault, new.current, None)
    return report
