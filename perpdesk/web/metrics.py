"""GET /metrics (Prometheus text format) and GET /healthz, on every process (web and worker)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from perpdesk.metrics import CONTENT_TYPE, METRICS

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics() -> Response:
    return Response(METRICS.render(), media_type=CONTENT_TYPE)


@router.get("/healthz")
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok\n")
