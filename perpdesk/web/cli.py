"""`perpdesk serve` and `perpdesk demo`."""

import typer


def register_platform_commands(app: typer.Typer) -> None:
    @app.command()
    def serve() -> None:
        """Run the platform."""
        raise typer.Exit(1)
