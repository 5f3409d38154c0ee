"""`perpdesk vault ...`: master key management."""

import typer

app = typer.Typer(help="The credential vault.", no_args_is_help=True)
