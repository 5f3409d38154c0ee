"""How `perpdesk trade` reports what became of an order or a change, from the services' result
objects: a table (or --json), then the exit code (0 done, 1 refused, 3 outcome unknown)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import typer

from perpdesk.cli.output import attr_rows, dump_json, table

if TYPE_CHECKING:
    from perpdesk.services.terminal_orders import ConditionalPlacement
    from perpdesk.services.trading import ChangeOutcome, Placement

ID_KEYS = {"order_id", "client_order_id"}
REFUSED = ("rejected", "not_placed")
UNKNOWN = ("unknown", "pending")


def show_table(title: str, keys: list[str], rows: Sequence[object]) -> None:
    """Objects as a table: one column per attribute, ids whole, times as ISO 8601."""
    cols = [k.replace("_", " ") for k in keys]
    ids = {c for k, c in zip(keys, cols, strict=True) if k in ID_KEYS}
    table(title, cols, attr_rows(rows, keys), ids=ids)


def report_placed(placed: Placement | ConditionalPlacement, as_json: bool) -> None:
    """A placement: printed, then the exit code says placed / rejected / unknown."""
    if as_json:
        dump_json(placed.to_dict())
    else:
        show_table(
            "Orders", ["status", "kind", "symbol", "side", "size", "price", "order_id", "client_order_id"],
            [placed],
        )
    err = placed.error
    if placed.status in REFUSED:
        typer.secho(f"refused: {err.message if err else ''}", fg=typer.colors.RED, err=True)
        if err is not None and err.next_step:
            typer.echo(f"  next step: {err.next_step}", err=True)
        raise typer.Exit(1)
    if placed.status in UNKNOWN:
        typer.secho(
            (err.message if err else "") or "The exchange did not confirm the order; it is not sent again.",
            fg=typer.colors.YELLOW,
            err=True,
        )
        next_step = (err.next_step if err else "") or "Check `perpdesk trade orders` before placing it anew."
        typer.echo(f"  next step: {next_step}", err=True)
        raise typer.Exit(3)


def report_changed(outcome: ChangeOutcome, done: str) -> None:
    """A cancel / amend / TP-SL: applied, or being confirmed (no answer: perpdesk reads the exchange)."""
    if outcome.applied:
        typer.echo(done)
        return
    typer.secho(outcome.message, fg=typer.colors.YELLOW, err=True)
    if outcome.next_step:
        typer.echo(f"  next step: {outcome.next_step}", err=True)
    raise typer.Exit(3)
