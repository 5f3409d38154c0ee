"""The roles' command lines: a worker or a web-only process refuses SQLite and says which setting
to change and how (several processes share the database); the all-in-one serve is unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from perpdesk.cli import app


@pytest.mark.parametrize("args", [["worker"], ["serve", "--web-only"]])
def test_worker_and_web_only_refuse_sqlite_with_a_clear_message(args: list[str], tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    result = CliRunner().invoke(app, args, env={"PERPDESK_DATABASE_URL": url,
                                                "PERPDESK_DATA_DIR": str(tmp_path)})
    assert result.exit_code == 2
    said = " ".join(result.output.split())
    assert "PERPDESK_DATABASE_URL" in said and "needs PostgreSQL, not SQLite" in said
    assert "postgresql+asyncpg://" in said and "perpdesk serve" in said
    assert url not in said  # the submitted value is not echoed
    assert not (tmp_path / "db.sqlite3").exists()  # refused before anything opened it


def test_worker_is_listed_beside_serve() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0 and "worker" in result.output and "serve" in result.output
