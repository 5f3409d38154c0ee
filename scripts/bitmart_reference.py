"""Writes the BitMart Futures V2 reference data the sandbox reference tests read.

    .venv/bin/python scripts/bitmart_reference.py --docs DIR [--out DIR]

DIR is BitMart's published Futures V2 docs (Markdown: futures_*.md, sub-account.md,
websocket_subscription.md, error_code.md). --out defaults to
tests/integration/sandbox_reference/data/. Run it again when the docs change; the drift test
(test_reference_drift.py) says when the committed data no longer matches them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.sandbox_reference.reference_parser import DOCS, build, dump  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=Path, required=True, help="BitMart's Futures V2 docs (Markdown)")
    ap.add_argument("--out", type=Path, default=ROOT / "tests/integration/sandbox_reference/data")
    args = ap.parse_args()
    missing = [name for name in DOCS if not (args.docs / name).is_file()]
    if missing:
        print(f"--docs {args.docs}: missing {', '.join(missing)}; point it at BitMart's Futures V2 docs",
              file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in build(args.docs).items():
        (args.out / name).write_text(dump(content), encoding="utf-8")
        print(f"wrote {args.out / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
