"""Derive the Binance dialect's reference facts from Binance's Postman collections.

    python scripts/binance_reference.py ../shared/reference/binance-usds-futures \
        > tests/integration/sandbox_binance/binance_reference.json

One row per documented REST endpoint: name, method, path, whether it is signed, and its
parameters (a parameter the collection enables by default is required). Tests read the JSON
that this writes; they never read the collections themselves.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

COLLECTIONS = (
    "usds-futures-rest.postman_collection.json",
    "wallet-api-key-permission.postman_collection.json",
)
AUTO = {"timestamp", "signature", "recvWindow"}  # added by the signer, not by the caller


def _requests(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for item in items:
        if "item" in item:
            out += _requests(item["item"])
        else:
            out.append(item)
    return out


def rows(folder: Path) -> list[dict[str, Any]]:
    result = []
    for name in COLLECTIONS:
        doc = json.loads((folder / name).read_text())
        for item in _requests(doc["item"]):
            req = item["request"]
            url = req["url"]
            params = [*url.get("query", []), *(req.get("body") or {}).get("urlencoded", [])]
            result.append(
                {
                    "name": item["name"],
                    "method": req["method"],
                    "path": "/" + "/".join(url["path"]),
                    "signed": any(p["key"] == "signature" for p in params),
                    "params": [
                        {"name": p["key"], "required": not p.get("disabled", False)}
                        for p in params
                        if p["key"] not in AUTO
                    ],
                }
            )
    return sorted(result, key=lambda r: (r["path"], r["method"]))


if __name__ == "__main__":
    json.dump(rows(Path(sys.argv[1])), sys.stdout, indent=1)
    sys.stdout.write("\n")
