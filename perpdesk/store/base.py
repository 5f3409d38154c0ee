"""The declarative Base every platform model derives from, and a UTC timestamp column type."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, MetaData
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so SQLite batch migrations can drop/alter them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class DuplicateRow(Exception):
    """A unique constraint refused the write (e.g. a concurrent connection of the same key won)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_id() -> str:
    """A row's id: 32 hex characters, the same for every table."""
    return uuid.uuid4().hex


R = TypeVar("R")


def to_record(kind: type[R], row: object) -> R:
    """A frozen record (store/records.py, order_records.py) of a row: the record's fields, read
    from the row's columns of the same names."""
    return kind(**{n: getattr(row, n) for n in _field_names(kind)})  # type: ignore[arg-type]


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    # dataclasses.fields() builds its tuple on every call: it was a worker's top idle cost
    return tuple(f.name for f in fields(kind))


async def write_back(
    session: AsyncSession, model: type[Base], record_id: str, columns: Mapping[str, object]
) -> bool:
    """Set the columns of the row `record_id` from a changed record of it: only those that differ,
    so the UPDATE names only what the use case changed. False when the row is gone."""
    row = await session.get(model, record_id)
    if row is None:
        return False
    for name, value in columns.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
    return True  # written with the unit of work's next flush or commit (a unique key refuses there)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone; this restores it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use perpdesk.store.base.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
