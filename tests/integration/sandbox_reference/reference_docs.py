"""BitMart's Futures V2 documentation (../shared/reference/bitmart-futures-v2/) read as data.

`sections(file)` gives every `##`/`###` section with its code blocks, each labelled by the
`> Label` line before it ("Request", "Response", "Subscribe Request", ...): the REST reference
test and the WebSocket push tests both read their examples from here. `rest_endpoints()` gives
the documented REST endpoints: method, path, auth kind, request parameters and response example.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REFERENCE_DIR = Path(__file__).resolve().parents[4] / "shared" / "reference" / "bitmart-futures-v2"
REST_FILES = (
    "futures_market_data.md",
    "futures_account_data.md",
    "futures_trading.md",
    "sub-account.md",
    "futures_affiliate_endpoints.md",
)

_HEADING = re.compile(r"^(#{2,3})\s+(.*?)\s*$")
_LABEL = re.compile(r"^>\s+(.*?)\s*$")
_BLOCK = re.compile(r"^(`+)\s?(.*?)\s?\1\s*$")
_URL = re.compile(r"^`(GET|POST|DELETE|PUT)\s+https?://[^/\s]+(/[^\s`?]*)")
_AUTH = re.compile(r"\((NONE|KEYED|SIGNED)\)")
_ELLIPSIS = re.compile(r",\s*\.\.\.(?=\s*[\]}])")
_PARAM_ROW = re.compile(r"^\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*([A-Za-z]+)\s*\|\s*(Yes|No)\s*\|")


def reference_dir() -> Path:
    """Where the reference lives; the tests skip when it is not there (a bare checkout)."""
    return REFERENCE_DIR


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
    file: str
    title: str
    level: int
    lines: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def blocks_labelled(self, label: str) -> list[Block]:
        return [b for b in self.blocks if b.label == label]


def sections(file: str) -> list[Section]:
    """Every `##` / `###` section of one reference file, in order, with its code blocks."""
    out: list[Section] = []
    current = Section(file, "", 1)
    label = part = ""
    for line in (reference_dir() / file).read_text(encoding="utf-8").splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = Section(file, heading.group(2), len(heading.group(1)))
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


def section_blocks(file: str) -> list[tuple[str, list[Block]]]:
    """(section title, code blocks) for every section of `file`."""
    return [(s.title, s.blocks) for s in sections(file)]


@dataclass(frozen=True)
class RestEndpoint:
    file: str
    title: str
    method: str
    path: str
    auth: str  # NONE | KEYED | SIGNED
    params: dict[str, tuple[str, bool]]  # name -> (documented type, required)
    response: Any  # the documented response example, parsed (the first, when there are several)
    fields: frozenset[str]  # every field name the response table lists

    @property
    def example_data(self) -> Any:
        """The example's `data` (the affiliate examples are printed without the envelope)."""
        if isinstance(self.response, dict) and "code" in self.response and "data" in self.response:
            return self.response["data"]
        return self.response


def rest_endpoints() -> list[RestEndpoint]:
    """Every REST endpoint the reference documents, with its response example."""
    found: list[RestEndpoint] = []
    for file in REST_FILES:
        for section in sections(file):
            if section.level != 2:
                continue
            method = path = None
            params: dict[str, tuple[str, bool]] = {}
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
                    params[row.group(1)] = (row.group(2), row.group(3) == "Yes")
            if method is None or path is None:
                continue
            responses = [b for b in section.blocks if b.part == "Response Data" and b.text[:1] in "{["]
            auth = _AUTH.search(section.title)
            found.append(
                RestEndpoint(
                    file=file,
                    title=section.title,
                    method=method,
                    path=path,
                    auth=auth.group(1) if auth else ("NONE" if "/public/" in path else "KEYED"),
                    params=params,
                    response=responses[0].json() if responses else None,
                    fields=frozenset(_response_fields(section.lines)),
                )
            )
    return found


_FIELD_ROW = re.compile(r"^\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*\|\s*([A-Za-z]+(?:\[\])?)\s*\|")


def _response_fields(lines: list[str]) -> list[str]:
    names: list[str] = []
    in_response = False
    for line in lines:
        if line.startswith("#### "):
            in_response = line.startswith("#### Response Data")
        row = _FIELD_ROW.match(line) if in_response else None
        if row and row.group(1) not in ("Field",):
            names.append(row.group(1))
    return names


_CODE_ROW = re.compile(r"^\|\s*(.+?)\s*\|\s*(\d{4,5})\s*\|\s*(\d{3})\s*$")


def error_codes() -> dict[int, int]:
    """Every REST error code error_code.md lists, with its documented HTTP status."""
    codes: dict[int, int] = {}
    for line in (reference_dir() / "error_code.md").read_text(encoding="utf-8").splitlines():
        row = _CODE_ROW.match(line.strip())
        if row:
            codes[int(row.group(2))] = int(row.group(3))
    return codes
