"""/metrics speaks Prometheus' text format, and its figures move when events flow."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from perpdesk.live.bus import InProcessBus, account_topic
from perpdesk.metrics import METRICS, Metrics
from perpdesk.web import metrics

# one sample line: name, optional {label="value",...}, a number
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*"'
SAMPLE = re.compile(rf"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{{{LABEL}(,{LABEL})*\}})? -?[0-9.e+-]+$")
META = re.compile(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$")


def parse(text: str) -> dict[str, float]:
    assert text.endswith("\n")
    out: dict[str, float] = {}
    for line in text.splitlines():
        assert META.match(line) or SAMPLE.match(line), line
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def scrape() -> dict[str, float]:
    app = FastAPI()
    app.include_router(metrics.router)
    with TestClient(app) as client:
        answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(answer.text)


async def test_metrics_parse_and_move_when_an_event_flows() -> None:
    before = scrape()
    bus = InProcessBus()
    sub = bus.subscribe([account_topic("a1")])
    bus.publish(account_topic("a1"), "account", {"account_id": "a1"})
    bus.publish(account_topic("other"), "account", {})  # published, delivered to no one
    assert await sub.get(1) is not None
    after = scrape()
    published = "perpdesk_events_published_total"
    delivered = "perpdesk_events_delivered_total"
    assert after[published] - before.get(published, 0) == 2
    assert after[delivered] - before.get(delivered, 0) == 1


def test_labels_are_escaped_and_gauges_read_at_scrape() -> None:
    m = Metrics()
    m.exchange_error("bitmart", rate_limited=True)
    m.exchange_error("bitmart", rate_limited=False)
    m.job_failures.inc(job='we"ird\nname')
    m.ws_opened("10.0.0.7")
    m.ws_opened("10.0.0.7")
    m.ws_closed("10.0.0.7")
    figures = parse(m.render())
    assert figures['perpdesk_exchange_errors_total{exchange="bitmart"}'] == 2
    assert figures['perpdesk_exchange_rate_limited_total{exchange="bitmart"}'] == 1
    assert figures['perpdesk_ws_connections{source="10.0.0.7"}'] == 1
    assert figures['perpdesk_job_failures_total{job="we\\"ird\\nname"}'] == 1
    assert METRICS is not m
