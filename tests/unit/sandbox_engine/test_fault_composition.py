"""Sandbox fault injection composes: each matching fault draws its own chance; hits combine."""

from __future__ import annotations

import random

import pytest

from perpdesk.sandbox.api.faults import FaultError, Faults

SUBMIT = "/contract/private/submit-order"


def test_latencies_add_up_and_the_earliest_outcome_wins() -> None:
    faults = Faults(random.Random(1))
    faults.add({"kind": "latency", "path": SUBMIT, "latency_ms": 300})
    faults.add({"kind": "execute_then_drop", "path": SUBMIT, "latency_ms": 200})
    plan = faults.match("POST", SUBMIT)
    assert plan is not None and (plan.latency_ms, plan.kind) == (500, "execute_then_drop")
    faults.add({"kind": "http_error", "path": "*", "status": 502})
    plan = faults.match("POST", SUBMIT)
    assert plan is not None and (plan.latency_ms, plan.kind, plan.status) == (500, "http_error", 502)
    faults.add({"kind": "drop", "path": SUBMIT, "method": "POST"})
    plan = faults.match("POST", SUBMIT)
    assert plan is not None and plan.kind == "drop" and len(plan.faults) == 4
    # another path or method: only the wildcard applies
    other = faults.match("GET", "/contract/private/order")
    assert other is not None and (other.kind, other.latency_ms) == ("http_error", 0)


def test_each_fault_draws_its_own_chance() -> None:
    faults = Faults(random.Random(7))
    faults.add({"kind": "latency", "path": SUBMIT, "latency_ms": 10, "probability": 0.5})
    faults.add({"kind": "drop", "path": SUBMIT, "probability": 0.5})
    seen = {"none": 0, "latency": 0, "drop_only": 0, "both": 0}
    for _ in range(4000):
        plan = faults.match("POST", SUBMIT)
        if plan is None:
            seen["none"] += 1
        elif plan.kind == "latency":
            seen["latency"] += 1
        elif plan.latency_ms:
            seen["both"] += 1
        else:
            seen["drop_only"] += 1
    # independent draws: all four combinations, each about a quarter (one shared draw gives two)
    assert all(800 < n < 1200 for n in seen.values()), seen


def test_times_counts_only_the_hits() -> None:
    faults = Faults(random.Random(3))
    faults.add({"kind": "drop", "path": SUBMIT, "times": 2, "probability": 0.5})
    hits = sum(faults.match("POST", SUBMIT) is not None for _ in range(200))
    assert hits == 2 and faults.list() == []


def test_a_fault_confined_to_one_key_leaves_other_callers_alone() -> None:
    faults = Faults(random.Random(5))
    faults.add({"kind": "rate_limit", "path": SUBMIT, "times": 1, "api_key": "mine"})
    assert faults.match("POST", SUBMIT, api_key="another") is None  # not used up by someone else
    assert faults.match("POST", SUBMIT) is None
    plan = faults.match("POST", SUBMIT, api_key="mine")
    assert plan is not None and plan.kind == "rate_limit" and faults.list() == []
    try:
        faults.add({"kind": "drop", "api_key": 7})
    except ValueError as exc:
        assert "api_key" in str(exc)
    else:
        raise AssertionError("a non-string api_key was accepted")


def test_a_method_confines_a_fault_on_a_path_serving_several() -> None:
    """Binance's /fapi/v1/order is new (POST), modify (PUT), query (GET) and cancel (DELETE)."""
    faults = Faults(random.Random(9))
    faults.add({"kind": "drop", "path": "/fapi/v1/order", "method": "delete"})
    assert faults.match("GET", "/fapi/v1/order") is None and faults.match("PUT", "/fapi/v1/order") is None
    plan = faults.match("DELETE", "/fapi/v1/order")
    assert plan is not None and plan.kind == "drop"
    with pytest.raises(FaultError):
        faults.add({"kind": "drop", "path": "/fapi/v1/order", "method": "PATCH"})
