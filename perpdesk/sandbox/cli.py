"""`perpdesk sandbox`: run the local BitMart exchange, and `perpdesk sandbox admin ...`."""

import typer

app = typer.Typer(help="The local BitMart Futures sandbox exchange.", no_args_is_help=True)
