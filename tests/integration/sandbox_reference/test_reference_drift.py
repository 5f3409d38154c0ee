"""The committed reference data still matches BitMart's docs, where the docs are at hand.

`scripts/test.sh` points PERPDESK_BITMART_REFERENCE_DIR at BitMart's Futures V2 docs when they
are beside the checkout; without it this test skips (the other reference tests read only the
committed data). On a mismatch, run `scripts/bitmart_reference.py --docs DIR` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.integration.sandbox_reference.reference_docs import load
from tests.integration.sandbox_reference.reference_parser import DOCS, build

ENV = "PERPDESK_BITMART_REFERENCE_DIR"


@pytest.fixture
def docs() -> Path:
    where = os.environ.get(ENV)
    if not where:
        pytest.skip(f"{ENV} is unset: BitMart's docs are not at hand to compare the committed data with")
    path = Path(where)
    missing = [name for name in DOCS if not (path / name).is_file()]
    assert not missing, f"{ENV} does not hold BitMart's Futures V2 docs: missing {', '.join(missing)}"
    return path


def test_committed_data_matches_the_docs(docs: Path) -> None:
    for name, content in build(docs).items():
        assert load(name) == content, (
            f"data/{name} no longer matches BitMart's docs: run scripts/bitmart_reference.py --docs {docs}")
