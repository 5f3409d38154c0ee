"""The options the `perpdesk trade` commands share (numbers are typed as exact decimal strings)."""

from __future__ import annotations

from typing import Annotated

import typer

from perpdesk.cli.accounts import UserOpt
from perpdesk.cli.output import JsonOpt

__all__ = [
    "AccountOpt", "AnySymbolOpt", "ConfirmDuplicateOpt", "ConfirmLeverageOpt", "JsonOpt", "NumberOpt",
    "OrderIdOpt", "SizeOpt", "SymbolOpt", "UserOpt",
]

AccountOpt = Annotated[
    str, typer.Option("--account", "-a", help="The connected account's id (perpdesk accounts list).")
]
SymbolOpt = Annotated[str, typer.Option("--symbol", "-s", help="A USDT perpetual, e.g. BTCUSDT.")]
AnySymbolOpt = Annotated[str | None, typer.Option("--symbol", "-s")]
OrderIdOpt = Annotated[str, typer.Option("--order-id")]
SizeOpt = Annotated[str, typer.Option(help="Contracts.")]
NumberOpt = Annotated[str | None, typer.Option()]
ConfirmDuplicateOpt = Annotated[bool, typer.Option(
    "--confirm-duplicate", help="Send it although the same ticket is being sent or confirmed.")]
ConfirmLeverageOpt = Annotated[bool, typer.Option(
    "--confirm-leverage", help="Change the open position's leverage to --leverage.")]
