"""BitMart's Futures V2 REST reference, as committed data (`data/`, written by
`scripts/bitmart_reference.py` from BitMart's published docs; see reference_parser.py).

`rest_endpoints()` gives the documented REST endpoints: method, path, auth kind, request
parameters, response fields and response example; `error_codes()` the documented error codes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"


def load(name: str) -> Any:
    """One committed data file, parsed."""
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class RestEndpoint:
    file: str
    title: str
    method: str
    path: str
    auth: str  # NONE | KEYED | SIGNED
    params: dict[str, tuple[str, bool]]  # name -> (documented type, required)
    response: Any  # the documented response example, parsed (the first, when there are several)
    field_types: dict[str, str]  # every field the response tables list -> its documented type

    @property
    def fields(self) -> frozenset[str]:
        return frozenset(self.field_types)

    @property
    def example_data(self) -> Any:
        """The example's `data` (the affiliate examples are printed without the envelope)."""
        if isinstance(self.response, dict) and "code" in self.response and "data" in self.response:
            return self.response["data"]
        return self.response


@cache
def _endpoints() -> tuple[RestEndpoint, ...]:
    return tuple(
        RestEndpoint(
            file=e["file"], title=e["title"], method=e["method"], path=e["path"], auth=e["auth"],
            params={name: (kind, required) for name, (kind, required) in e["params"].items()},
            response=e["response"], field_types=e["fields"],
        )
        for e in load("rest_endpoints.json")
    )


def rest_endpoints() -> list[RestEndpoint]:
    """Every REST endpoint the reference documents, with its response example."""
    return list(_endpoints())


def error_codes() -> dict[int, int]:
    """Every REST error code error_code.md lists, with its documented HTTP status."""
    return {row["code"]: row["http_status"] for row in load("error_codes.json")}
