"""Imports every model module so Base.metadata knows every table (Alembic, vault rotation)."""

from __future__ import annotations

import importlib

from perpdesk.store import secrets, users  # noqa: F401

# Models other parts add; imported when present so this file needs no edit when they land.
OPTIONAL_MODEL_MODULES = ("perpdesk.store.accounts", "perpdesk.store.orders", "perpdesk.store.trading")

for _name in OPTIONAL_MODEL_MODULES:
    try:
        importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:  # a real import error inside an existing module must surface
            raise
