"""What every part of the sandbox server shares: its configuration and its state objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from perpdesk.sandbox.engine import Engine
    from perpdesk.sandbox.identity import Identity
    from perpdesk.sandbox.persist import Persist


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 8810
    state_path: str = ":memory:"  # SQLite file; ':memory:' for throw-away state
    admin_token: str = ""  # generated and printed at start when empty
    auto_whitelist_after: float | None = None  # seconds; None = only the admin approves
    seed: int = 1  # the mark-price process is deterministic for a seed
    price_interval_s: float = 1.0  # how often the engine ticks the price process
    funding_interval_s: float = 8 * 3600.0
    timestamp_window_ms: int = 60_000  # BitMart's X-BM-TIMESTAMP window (recvWindow default)
    public_url: str = ""  # how browsers reach the sandbox pages, e.g. http://127.0.0.1:8810
    rate_limit_factor: float = 1.0  # scales BitMart's rate limits; 0 = off (benchmarks)
    oauth_code_ttl_s: float | None = None  # authorisation codes' life; None: BitMart's 5 minutes
    binance_port: int | None = None  # serve the Binance USDⓈ-M dialect on this port too (off: None)
    ws_per_address: int = 500  # WebSocket connections per client address (BitMart's limit)


@dataclass
class SandboxContext:
    config: SandboxConfig
    persist: Persist
    engine: Engine
    identity: Identity
    # REST requests served, per X-BM-KEY ("" for unsigned public ones): GET /sandbox-admin/requests
    request_counts: dict[str, int] = field(default_factory=dict)
