"""BitMart's Futures V2 documentation (Markdown) parsed into the data the reference tests read.

`build(docs_dir)` gives the committed files' contents: `rest_endpoints.json` (method, path, auth,
parameters, response fields with their types, request and response examples), `ws_channels.json`
(every WebSocket channel with its push examples and field table; the Overview's acknowledgements)
and `error_codes.json`. `scripts/bitmart_reference.py` writes them under `data/`; the drift test
builds them again from the docs, where the docs are present, and compares.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REST_FILES = (
    "futures_market_data.md",
    "futures_account_data.md",
    "futures_trading.md",
    "sub-account.md",
    "futures_affiliate_endpoints.md",
)
WS_DOC = "websocket_subscription.md"
ERRORS_DOC = "error_code.md"
DOCS = (*REST_FILES, WS_DOC, ERRORS_DOC)

_HEADING = re.compile(r"^(#{2,3})\s+(.*?)\s*$")
_LABEL = re.compile(r"^>\s+(.*?)\s*$")
_BLOCK = re.compile(r"^(`+)\s?(.*?)\s?\1\s*$")
_URL = re.compile(r"^`(GET|POST|DELETE|PUT)\s+https?://[^/\s]+(/[^\s`?]*)")
_AUTH = re.compile(r"\((NONE|KEYED|SIGNED)\)")
_ELLIPSIS = re.compile(r",\s*\.\.\.(?=\s*[\]}])")
_PARAM_ROW = re.compile(r"^\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*([A-Za-z]+)\s*\|\s*(Yes|No)\s*\|")
_FIELD_ROW = re.compile(r"^\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*([A-Za-z]+(?:\[\])?)\s*\|")
_CODE_ROW = re.compile(r"^\|\s*(.+?)\s*\|\s*(\d{4,5})\s*\|\s*(\d{3})\s*$")
_CODE = re.compile(r"`([^`]+)`")
_WS_NAME = re.compile(r"^futures/[A-Za-z0-9]+$")
_WS_CHANNEL_ROW = re.compile(r"^\| (futures/[A-Za-z0-9]+) \|")
_WS_FIELD_ROW = re.compile(
    r"^\| \*{0,2}([A-Za-z_][A-Za-z0-9_]*)\*{0,2} \| (String|Long|Int|Bool|List|object) \|")


@dataclass(frozen=True)
class Block:
    label: str  # the `> ...` line before it; "" when none
    text: str
    part: str = ""  # the `####` heading it is under ("Request Parameter", "Response Data", ...)

    def json(self) -> Any:
        """The block as JSON (BitMart's examples are JSON with the newlines folded to spaces)."""
        # "..." stands for more rows of the same shape
        return json.loads(_ELLIPSIS.sub("", self.text))


@dataclass
class Section:
    title: str
    level: int
    lines: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)


def sections(text: str) -> list[Section]:
    """Every `##` / `###` section of one reference page, in order, with its code blocks."""
    out: list[Section] = []
    current = Section("", 1)
    label = part = ""
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = Section(heading.group(2), len(heading.group(1)))
            out.append(current)
            label = part = ""
            continue
        current.lines.append(line)
        if line.startswith("####"):
            part = line.lstrip("#").strip()
            continue
        quote = _LABEL.match(line)
        if quote:
            label = quote.group(1)
            continue
        block = _BLOCK.match(line)
        if block:
            current.blocks.append(Block(label, block.group(2).strip(), part))
            label = ""
    return out


# ---- REST ----------------------------------------------------------------------------------------
def rest_endpoint(file: str, section: Section) -> dict[str, Any] | None:
    """One `##` section as an endpoint (None when it documents no request URL)."""
    method = path = None
    params: dict[str, list[Any]] = {}
    in_params = False
    for line in section.lines:
        url = _URL.match(line)
        if url and method is None:
            method, path = url.group(1), url.group(2)
        if line.startswith("#### Request Parameter"):
            in_params = True
        elif line.startswith("#### "):
            in_params = False
        row = _PARAM_ROW.match(line) if in_params else None
        if row and row.group(1) != "Field":
            params[row.group(1)] = [row.group(2), row.group(3) == "Yes"]
    if method is None or path is None:
        return None
    responses = [b for b in section.blocks if b.part == "Response Data" and b.text[:1] in "{["]
    requests = [b.text for b in section.blocks if b.label == "Request"]
    auth = _AUTH.search(section.title)
    return {
        "file": file,
        "title": section.title,
        "method": method,
        "path": path,
        "auth": auth.group(1) if auth else ("NONE" if "/public/" in path else "KEYED"),
        "params": params,
        "request_example": requests[0] if requests else None,
        "response": responses[0].json() if responses else None,
        "fields": _response_fields(section.lines),
    }


def _response_fields(lines: list[str]) -> dict[str, str]:
    """Field name -> documented type, from the Response Data tables (the first type wins)."""
    fields: dict[str, str] = {}
    in_response = False
    for line in lines:
        if line.startswith("#### "):
            in_response = line.startswith("#### Response Data")
        row = _FIELD_ROW.match(line) if in_response else None
        if row and row.group(1) != "Field":
            fields.setdefault(row.group(1), row.group(2))
    return fields


def rest_endpoints(docs: Path) -> list[dict[str, Any]]:
    found = []
    for file in REST_FILES:
        for section in sections((docs / file).read_text(encoding="utf-8")):
            endpoint = rest_endpoint(file, section) if section.level == 2 else None
            if endpoint is not None:
                found.append(endpoint)
    return found


def error_codes(text: str) -> list[dict[str, Any]]:
    """Every error code of error_code.md with its documented HTTP status and message."""
    codes = []
    for line in text.splitlines():
        row = _CODE_ROW.match(line.strip())
        if row:
            codes.append({"code": int(row.group(2)), "http_status": int(row.group(3)),
                          "message": row.group(1)})
    return codes


# ---- WebSocket -------------------------------------------------------------------------------------
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


def ws_reference(text: str) -> dict[str, Any]:
    """Every `## 【Public】`/`## 【Private】` section: channel names (from the channel tables and
    the subscribe examples), push examples (JSON with "group" and "data") and documented fields;
    plus the Overview's acknowledgement examples (JSON with "action" and "success")."""
    out: list[dict[str, Any]] = []
    acks: list[dict[str, Any]] = []
    for chunk in re.split(r"^## ", text, flags=re.M)[1:]:
        title, _, body = chunk.partition("\n")
        spans = _json_spans(body)
        if "【" not in title:
            acks += [m for m in spans if isinstance(m, dict) and "action" in m and "success" in m]
            continue
        if title.startswith("【Private】Login"):
            continue
        channels: list[str] = []
        examples: list[dict[str, Any]] = []
        fields: dict[str, str] = {}
        for line in body.splitlines():
            if m := _WS_CHANNEL_ROW.match(line):
                _add(channels, m.group(1))
            elif m := _WS_FIELD_ROW.match(line):
                fields.setdefault(m.group(1), m.group(2))
        for msg in spans:
            if not isinstance(msg, dict):
                continue
            if msg.get("action") == "subscribe":
                for arg in msg.get("args", []):
                    if _WS_NAME.match(name := arg.split(":", 1)[0]):
                        _add(channels, name)
            elif "group" in msg and "data" in msg:
                examples.append(msg)
        out.append({"title": title.strip(), "private": "【Private】" in title, "channels": channels,
                    "examples": examples, "fields": fields})
    return {"sections": out, "acks": acks}


def build(docs: Path) -> dict[str, Any]:
    """The committed data files (name -> content), built from the docs in `docs`."""
    return {
        "rest_endpoints.json": rest_endpoints(docs),
        "ws_channels.json": ws_reference((docs / WS_DOC).read_text(encoding="utf-8")),
        "error_codes.json": error_codes((docs / ERRORS_DOC).read_text(encoding="utf-8")),
    }


def dump(content: Any) -> str:
    """How a data file is written: stable, one key a line, readable in a diff."""
    return json.dumps(content, indent=1, ensure_ascii=False) + "\n"
