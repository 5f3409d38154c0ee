"""`perpdesk accounts ...`: connected exchange accounts, for people who script."""

import typer

app = typer.Typer(help="Connected exchange accounts.", no_args_is_help=True)
