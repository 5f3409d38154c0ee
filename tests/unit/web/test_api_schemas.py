"""Every JSON API route states what it answers: each of its 2xx responses has a schema in the
OpenAPI that names its fields (no free-form object), so a new route without one fails here."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from perpdesk.settings import Settings
from perpdesk.web.app import create_app


def _spec(tmp_path: Path) -> dict[str, Any]:
    app = create_app(Settings(data_dir=tmp_path, master_key=base64.b64encode(bytes(32)).decode()))
    spec: dict[str, Any] = app.openapi()
    return spec


def _states_its_fields(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A named model with fields, a union of such, a typed mapping, or text (CSV, event streams)."""
    if "$ref" in schema:
        return _states_its_fields(components[schema["$ref"].rsplit("/", 1)[-1]], components)
    if "anyOf" in schema:
        return all(_states_its_fields(s, components) for s in schema["anyOf"])
    if schema.get("properties"):
        return True
    if isinstance(schema.get("additionalProperties"), dict) and schema["additionalProperties"]:
        return True  # e.g. {"status": "ok"}: str → str
    return schema.get("type") == "string"


def test_every_api_route_answers_a_stated_schema(tmp_path: Path) -> None:
    spec = _spec(tmp_path)
    components = spec["components"]["schemas"]
    ops = [(m.upper(), p, op) for p, item in spec["paths"].items() if p.startswith("/api/")
           for m, op in item.items()]
    assert len(ops) >= 67
    missing = []
    for method, path, op in ops:
        answers = {s: r for s, r in op["responses"].items() if s.startswith("2") and s != "204"}
        if not answers and "204" in op["responses"]:
            continue  # nothing to state
        for status, r in answers.items():
            schemas = [c.get("schema") or {} for c in r.get("content", {}).values()]
            if not schemas or not all(_states_its_fields(s, components) for s in schemas):
                missing.append(f"{method} {path} {status}")
        if not answers:
            missing.append(f"{method} {path}: no 2xx answer")
    assert not missing, missing


def test_the_check_refuses_a_free_form_answer() -> None:
    components = {"Empty": {"type": "object", "properties": {}}, "A": {"properties": {"x": {}}}}
    assert not _states_its_fields({}, components)
    assert not _states_its_fields({"type": "object", "additionalProperties": True}, components)
    assert not _states_its_fields({"$ref": "#/components/schemas/Empty"}, components)
    assert not _states_its_fields({"anyOf": [{"$ref": "#/components/schemas/A"}, {}]}, components)
    assert _states_its_fields({"$ref": "#/components/schemas/A"}, components)


def test_health_answers_a_named_model(tmp_path: Path) -> None:
    ok = _spec(tmp_path)["paths"]["/api/health"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/HealthOut"}
