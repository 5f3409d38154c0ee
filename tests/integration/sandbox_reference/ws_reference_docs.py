"""The WebSocket channels, push examples and field tables of BitMart's Futures V2 reference.

Reads `websocket_subscription.md`: every `## 【Public】`/`## 【Private】` section gives its channel
names (from the channel-name tables and the request examples), its push examples (inline JSON
with "group" and "data") and its "Return data description" fields with their documented types.
The Overview's acknowledgement examples (JSON with "action" and "success") are kept too.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
CANDIDATES = (
    Path(os.environ.get("PERPDESK_REFERENCE_DIR", "/nonexistent")),
    ROOT / "docs" / "reference" / "bitmart-futures-v2",
    ROOT.parent / "shared" / "reference" / "bitmart-futures-v2",
)
WS_DOC = "websocket_subscription.md"

_CODE = re.compile(r"`([^`]+)`")
_NAME = re.compile(r"^futures/[A-Za-z0-9]+$")
_CHANNEL_ROW = re.compile(r"^\| (futures/[A-Za-z0-9]+) \|")
_FIELD_ROW = re.compile(
    r"^\| \*{0,2}([A-Za-z_][A-Za-z0-9_]*)\*{0,2} \| (String|Long|Int|Bool|List|object) \|")
# documented type -> the JSON types a push may carry for it ("object": null when there is none)
TYPES: dict[str, tuple[type, ...]] = {
    "String": (str,), "Long": (int,), "Int": (int,), "Bool": (bool,), "List": (list,),
    "object": (dict, type(None)),
}


@dataclass
class WsSection:
    title: str
    private: bool
    channels: list[str] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class WsReference:
    sections: list[WsSection]
    acks: list[dict[str, Any]]

    def channels(self, private: bool) -> list[str]:
        return [c for s in self.sections if s.private == private for c in s.channels]

    def section_of(self, channel: str) -> WsSection:
        return next(s for s in self.sections if channel in s.channels)


def reference_dir() -> Path:
    for path in CANDIDATES:
        if (path / WS_DOC).is_file():
            return path
    raise FileNotFoundError(
        f"BitMart's reference ({WS_DOC}) not found; set PERPDESK_REFERENCE_DIR or place it in "
        f"{CANDIDATES[1]}")


def _json_spans(text: str) -> list[Any]:
    out = []
    for span in _CODE.findall(text):
        try:
            out.append(json.loads(span))
        except ValueError:
            continue
    return out


def _add(items: list[str], name: str) -> None:
    if name not in items:
        items.append(name)


def load_ws_reference(path: Path | None = None) -> WsReference:
    text = (path or reference_dir() / WS_DOC).read_text(encoding="utf-8")
    chunks = re.split(r"^## ", text, flags=re.M)
    sections: list[WsSection] = []
    acks: list[dict[str, Any]] = []
    for chunk in chunks[1:]:
        title, _, body = chunk.partition("\n")
        spans = _json_spans(body)
        if "【" not in title:
            acks += [m for m in spans if isinstance(m, dict) and "action" in m and "success" in m]
            continue
        if title.startswith("【Private】Login"):
            continue
        section = WsSection(title.strip(), private="【Private】" in title)
        for line in body.splitlines():
            if m := _CHANNEL_ROW.match(line):
                _add(section.channels, m.group(1))
            elif m := _FIELD_ROW.match(line):
                section.fields.setdefault(m.group(1), m.group(2))
        for msg in spans:
            if not isinstance(msg, dict):
                continue
            if msg.get("action") == "subscribe":
                for arg in msg.get("args", []):
                    if _NAME.match(name := arg.split(":", 1)[0]):
                        _add(section.channels, name)
            elif "group" in msg and "data" in msg:
                section.examples.append(msg)
        sections.append(section)
    return WsReference(sections, acks)


def shape_problems(doc: Any, got: Any, path: str = "data") -> list[str]:
    """How `got` differs from the documented example `doc`: missing fields, other JSON types.
    Lists are compared by their first elements; values themselves are not compared."""
    if isinstance(doc, dict):
        if not isinstance(got, dict):
            return [f"{path}: documented an object, got {type(got).__name__}"]
        problems: list[str] = []
        for key, value in doc.items():
            if key not in got:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += shape_problems(value, got[key], f"{path}.{key}")
        return problems
    if isinstance(doc, list):
        if not isinstance(got, list):
            return [f"{path}: documented a list, got {type(got).__name__}"]
        return shape_problems(doc[0], got[0], f"{path}[0]") if doc and got else []
    if type(doc) is not type(got):
        return [f"{path}: documented {type(doc).__name__} ({doc!r}), got {type(got).__name__} ({got!r})"]
    return []


def field_problems(fields: dict[str, str], got: Any) -> list[str]:
    """Documented fields (name -> type) that appear nowhere in `got` with a documented type."""
    seen: dict[str, list[Any]] = {}

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                seen.setdefault(k, []).append(v)
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(got)
    problems = []
    for name, kind in fields.items():
        values = seen.get(name)
        if values is None:
            problems.append(f"{name}: documented ({kind}), missing")
        elif not any(isinstance(v, TYPES[kind]) and not (kind != "Bool" and isinstance(v, bool))
                     for v in values):
            problems.append(f"{name}: documented {kind}, got {type(values[0]).__name__}")
    return problems
