"""The sandbox is an exchange of its own: nothing in perpdesk.sandbox imports the platform."""

from __future__ import annotations

import ast
from pathlib import Path

import perpdesk.sandbox

SANDBOX = Path(perpdesk.sandbox.__file__).parent


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_platform_import_inside_the_sandbox() -> None:
    files = sorted(SANDBOX.rglob("*.py"))
    assert len(files) > 30
    offending = [
        f"{path.relative_to(SANDBOX)}: {name}"
        for path in files
        for name in _imports(path)
        if (name == "perpdesk" or name.startswith("perpdesk.")) and not name.startswith("perpdesk.sandbox")
    ]
    assert offending == []


def test_no_sandbox_module_over_400_lines() -> None:
    sizes = {
        p.relative_to(SANDBOX).as_posix(): len(p.read_text(encoding="utf-8").splitlines())
        for p in SANDBOX.rglob("*.py")
    }
    assert {name: n for name, n in sizes.items() if n > 420} == {}
