"""What every `perpdesk` data command prints, one way: `--json` (exact decimal strings, ISO 8601
UTC times) or a Rich table whose id columns are always printed whole (ids are copied into the
next command), times as ISO 8601 UTC, never epoch milliseconds."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import typer

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

EPOCH_MS_FLOOR = 10**11  # smaller `_ms` values are durations, not instants (1973 in epoch ms)


def iso(value: datetime | int | float | str | None) -> str:
    """ISO 8601 in UTC: a datetime, or epoch milliseconds; strings (already ISO) pass; None → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        moment = datetime.fromtimestamp(value / 1000, UTC)
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def readable(data: Any) -> Any:
    """`data` with every epoch-millisecond field (`..._ms`) turned into an ISO 8601 time under its
    name without `_ms` (`time_ms` → `time`), and datetimes into ISO 8601, at any depth."""
    if isinstance(data, Mapping):
        out: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(key, str) and key.endswith("_ms") and _instant(value):
                out[key.removesuffix("_ms")] = iso(value) if value is not None else None
            else:
                out[key] = readable(value)
        return out
    if isinstance(data, list | tuple):
        return [readable(v) for v in data]
    if isinstance(data, datetime):
        return iso(data)
    return data


def _instant(value: Any) -> bool:
    if value is None:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and value >= EPOCH_MS_FLOOR


def dump_json(data: Any) -> None:
    typer.echo(json.dumps(readable(data), indent=2, default=str))


def _width() -> int | None:
    """Piped output is not cut to 80 columns (ids and numbers are copied from it)."""
    if os.isatty(1):
        return None
    return 250


def table(
    title: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    numeric: Iterable[str] = (),
    ids: Iterable[str] = (),
) -> None:
    """A Rich table. `ids`: columns printed whole on one line (never wrapped or shortened);
    `numeric`: right-aligned. Cells: None → "", datetimes → ISO 8601, the rest as str()."""
    from rich.console import Console
    from rich.table import Table

    numbers, whole = set(numeric), set(ids)
    body = [[_cell(v) for v in row] for row in rows]
    grid = Table(title=title)
    for i, col in enumerate(columns):
        longest = max((len(r[i]) for r in body), default=0)
        if col in whole:
            grid.add_column(col, no_wrap=True, min_width=max(longest, len(col)))
        else:
            grid.add_column(col, justify="right" if col in numbers else "left", overflow="fold")
    for row in body:
        grid.add_row(*row)
    Console(width=_width(), soft_wrap=False).print(grid)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return iso(value)
    return str(value)


def dict_rows(items: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[list[Any]]:
    """Rows of `keys` out of JSON-ready dicts (readable() applied: times as ISO 8601)."""
    return [[readable(item).get(k) for k in keys] for item in items]


def attr_rows(items: Iterable[object], names: Sequence[str]) -> list[list[Any]]:
    """Rows of attributes out of result objects, printed as their JSON shows them: decimals exact,
    enums by value; `time` reads `time_ms` as ISO 8601; an attribute an object lacks is blank."""
    from perpdesk.core.money import fmt

    def cell(item: object, name: str) -> Any:
        if not hasattr(item, name) and hasattr(item, f"{name}_ms"):
            return iso(getattr(item, f"{name}_ms"))
        value = getattr(item, name, None)
        if isinstance(value, Decimal):
            return fmt(value)
        return value.value if isinstance(value, Enum) else value

    return [[cell(item, n) for n in names] for item in items]
