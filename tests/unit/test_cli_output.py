"""The CLI's one output module: ISO 8601 UTC times (never epoch milliseconds) in tables and JSON,
ids printed whole however narrow the terminal."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from perpdesk.cli.output import dump_json, iso, readable, table

T_MS = 1_765_000_000_123  # 2025-12-06T05:46:40.123Z


def test_iso_from_datetimes_and_epoch_milliseconds() -> None:
    assert iso(T_MS) == "2025-12-06T05:46:40.123Z"
    assert iso(datetime(2025, 12, 6, 5, 46, 40, 123000, tzinfo=UTC)) == "2025-12-06T05:46:40.123Z"
    assert iso(None) == ""


def test_readable_turns_every_epoch_ms_field_into_iso() -> None:
    data = {"fills": [{"time_ms": T_MS, "price": "95000.5"}], "created_at_ms": None,
            "window_ms": 60_000, "at": datetime(2025, 1, 2, tzinfo=UTC)}  # fmt: skip
    assert readable(data) == {
        "fills": [{"time": "2025-12-06T05:46:40.123Z", "price": "95000.5"}],
        "created_at": None,
        "window_ms": 60_000,  # a duration stays a number
        "at": "2025-01-02T00:00:00.000Z",
    }


def test_json_and_tables(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    dump_json({"time_ms": T_MS, "size": "2"})
    assert json.loads(capsys.readouterr().out) == {"time": "2025-12-06T05:46:40.123Z", "size": "2"}

    monkeypatch.setattr("perpdesk.cli.output._width", lambda: 40)  # a narrow terminal
    oid = "a3f1c0de9b8e4f6a8d7c6b5a4f3e2d1c"
    table("Orders", ["order id", "symbol", "note"], [[oid, "BTCUSDT", "x" * 80], [None, "ETHUSDT", T_MS]],
          ids={"order id"})  # fmt: skip
    out = capsys.readouterr().out
    assert oid in out  # whole, on one line
