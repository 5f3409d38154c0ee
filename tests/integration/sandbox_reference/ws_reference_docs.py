"""The WebSocket channels, push examples and field tables of BitMart's Futures V2 reference, as
committed data (`data/ws_channels.json`, parsed from `websocket_subscription.md` by
reference_parser.py): every public and private channel with its push examples (JSON with "group"
and "data") and its "Return data description" fields with their documented types; the Overview's
acknowledgement examples (JSON with "action" and "success").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.integration.sandbox_reference.reference_docs import load

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


def load_ws_reference() -> WsReference:
    data = load("ws_channels.json")
    sections = [WsSection(s["title"], s["private"], s["channels"], s["examples"], s["fields"])
                for s in data["sections"]]
    return WsReference(sections, data["acks"])


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
