"""The platform's configuration: environment variables prefixed `PERPDESK_` (or a `.env` file).

`load_settings()` turns a missing or malformed setting into a `SettingsError` whose message names
the variable and says what to do, so `perpdesk serve` fails at start instead of half-running.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from perpdesk.log_config import hide_url_password

ENV_PREFIX = "PERPDESK_"

# Settings whose values are never echoed in error messages.
SECRET_FIELDS = frozenset({"master_key", "fast_connect_client_secret", "session_secret", "smtp_password"})


class SettingsError(Exception):
    """One message per bad setting, each naming the environment variable."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))


def _split_list(value: Any) -> Any:
    """Accept `a,b`, `a b` or a JSON list for list settings given as one environment variable."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            import json

            return json.loads(text)
        return [part for part in text.replace(",", " ").split() if part]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        validate_default=True,
    )

    # --- storage ---------------------------------------------------------------------------
    data_dir: Path = Field(
        Path("./data"), description="Where the SQLite file, the master key and the session secret live."
    )
    database_url: str = Field(
        "",
        repr=False,  # may carry the database password
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://user@host/db. "
        "Default: a SQLite file under data_dir.",
    )

    # --- vault -----------------------------------------------------------------------------
    master_key_file: Path | None = Field(
        None, description="File holding the vault's master keyring (created by `perpdesk vault init`)."
    )
    master_key: SecretStr | None = Field(
        None,
        description="The master key itself (base64 of 32 bytes, or a keyring `2:KEY,1:OLDKEY`); "
        "used instead of master_key_file.",
    )

    # --- exchange ---------------------------------------------------------------------------
    egress_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="Public IPs the platform calls exchanges from: the IP whitelist shown to users.",
    )
    egress_source_address: str | None = Field(None, description="Local address outgoing calls bind to.")
    egress_source_addresses: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Local addresses exchange WebSockets are opened from, comma-separated: each new "
        "one takes the least-used under ws_per_address_max; REST calls bind to the first. Unless "
        "egress_ips is set, they are the IP whitelist shown to users.",
    )
    ws_per_address_max: int = Field(
        450, ge=1, le=100_000,
        description="Exchange WebSockets one process opens per address of egress_source_addresses at "
        "most (BitMart allows about 500 per IP).",
    )
    egress_proxy: str | None = Field(
        None, repr=False, description="HTTP(S) proxy for outgoing exchange calls."
    )
    bitmart_api_url: str = Field("https://api-cloud-v2.bitmart.com", description="BitMart REST base URL.")
    bitmart_ws_url: str = Field(
        "wss://openapi-ws-v2.bitmart.com/user?protocol=1.1",
        description="BitMart futures private WebSocket URL.",
    )
    bitmart_web_url: str = Field(
        "https://www.bitmart.com", description="BitMart web pages (Fast Connect authorize URL base)."
    )
    binance_api_url: str = Field(
        "https://fapi.binance.com", description="Binance USDⓈ-M Futures REST base URL."
    )
    binance_ws_url: str = Field(
        "wss://fstream.binance.com", description="Binance USDⓈ-M Futures WebSocket base URL."
    )
    binance_web_url: str = Field("https://www.binance.com", description="Binance web pages.")
    fast_connect_client_id: str = Field("", description="OAuth client id the exchange issued to us.")
    fast_connect_client_secret: SecretStr | None = Field(None, description="OAuth client secret.")

    # --- web ---------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address the platform listens on.")
    port: int = Field(8800, ge=1, le=65535, description="Port the platform listens on.")
    public_url: str = Field(
        "", description="How browsers reach the platform (OAuth redirect URIs). Default http://host:port."
    )
    session_secret: SecretStr | None = Field(
        None,
        description="Key for CSRF tokens. Default: generated once into data_dir/session_secret.",
    )
    session_ttl_hours: float = Field(24.0 * 7, gt=0, description="Sessions expire after this long.")
    session_idle_hours: float = Field(24.0, gt=0, description="Sessions expire after this long idle.")
    cookie_secure: bool | None = Field(
        None, description="Mark cookies Secure. Default: true when public_url is https."
    )
    fast_connect_ttl_s: float = Field(
        600.0, gt=0, description="Seconds a Fast Connect grant (state + PKCE verifier) stays valid."
    )
    whitelist_recheck_base_s: float = Field(
        60.0, gt=0, description="First re-check of an account awaiting futures whitelisting (then doubling)."
    )
    whitelist_recheck_max_s: float = Field(
        3600.0, gt=0, description="Longest wait between re-checks of an account awaiting whitelisting."
    )
    whitelist_watch_interval_s: float = Field(
        5.0, gt=0, description="How often the background task looks for due whitelisting re-checks."
    )
    order_settle_interval_s: float = Field(
        15.0, gt=0, description="How often orders with an unknown outcome are looked up by client id."
    )
    notification_check_interval_s: float = Field(
        15.0, ge=1, le=3600,
        description="How often key problems (with live mirrors off: also fills and liquidation distance) "
        "are checked for notifications.",
    )
    equity_snapshot_interval_s: float = Field(
        300.0, ge=10, le=86400,
        description="How often every active account's equity is stored for the equity chart (10 s to 1 day).",
    )
    webhook_retry_base_s: float = Field(
        2.0, gt=0, le=3600,
        description="First wait before a failed webhook delivery is retried (doubles each try).",
    )
    webhook_max_attempts: int = Field(
        6, ge=1, le=20, description="Webhook delivery attempts before giving up."
    )
    webhook_allow_private: bool = Field(
        False, description="Let webhooks reach loopback, private, link-local and multicast addresses "
        "(off: refused when saved and on every delivery, against server-side request forgery).",
    )
    exchange_timeout_s: float = Field(
        10.0, gt=0, description="Seconds perpdesk waits for one exchange answer before it gives up on it."
    )
    exchange_window_s: float = Field(
        60.0,
        gt=0,
        le=60.0,
        description="The exchange's X-BM-TIMESTAMP window (BitMart: 60 s; on Binance it caps the recvWindow "
        "sent, 5 s). A write's outcome stays unknown until it has passed; lower it only for an exchange "
        "(a test sandbox) that enforces less.",
    )
    order_settle_margin_s: float = Field(
        2.0, ge=0, description="Added to the window for the clock offset's error and exchange processing."
    )
    live_enabled: bool = Field(
        True, description="Run live mirrors of active accounts (pages read them: 0 exchange requests)."
    )
    live_ownership: Literal["process", "postgres"] = Field(
        "process",
        description="Who owns mirrors: this process (one server) or PostgreSQL advisory-lock leases.",
    )
    live_reconcile_interval_s: float = Field(
        60.0, ge=1, le=86400, description="How often each mirror re-reads the exchange and repairs drift."
    )
    live_watched_plans_s: float = Field(
        5.0, ge=0, le=3600,
        description="While a page of an account is open, re-read its trigger/TP-SL/trailing orders this "
        "often (the exchange does not push new ones); 0: never.",
    )
    live_scan_interval_s: float = Field(
        5.0, gt=0, le=3600, description="How often the supervisor looks for connected/disconnected accounts."
    )
    live_sse_heartbeat_s: float = Field(
        15.0, gt=0, le=300, description="Seconds between SSE heartbeats to open pages."
    )
    live_streams_per_session: int = Field(
        6, ge=1, le=1000, description="Live streams one session may hold open (a new one ends the oldest)."
    )
    live_streams_per_user: int = Field(
        20, ge=1, le=10000, description="Live streams one user may hold open in all sessions (oldest ended)."
    )
    live_session_recheck_s: float = Field(
        2.0, gt=0, le=300, description="How often an open live stream re-reads its session (expiry)."
    )
    live_subscriber_queue: int = Field(
        256, ge=8, le=100000, description="Events a live page may fall behind before it is dropped."
    )
    rate_limit_factor: float = Field(
        1.0, gt=0, description="Multiplies every sign-in, sign-up, 2FA and key-inspection rate limit."
    )
    password_reset_ttl_minutes: float = Field(
        30.0, gt=0, le=24 * 60, description="How long a password reset link works (once)."
    )

    # --- email (password reset links) ---------------------------------------------------------
    smtp_host: str = Field("", description="SMTP server for outgoing email; empty: no email is sent.")
    smtp_port: int = Field(587, ge=1, le=65535, description="SMTP server port.")
    smtp_security: Literal["starttls", "tls", "none"] = Field(
        "starttls", description="starttls (upgrade after connecting), tls (implicit, port 465) or none."
    )
    smtp_username: str = Field("", description="SMTP user name, if the server wants one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password.")
    smtp_from: str = Field("perpdesk <perpdesk@localhost>", description="The From: of outgoing email.")
    smtp_timeout_s: float = Field(15.0, gt=0, description="Seconds to wait for the SMTP server.")
    mail_retry_base_s: float = Field(
        30.0, gt=0, le=3600, description="First wait before a failed mail is sent again (doubles each try).",
    )
    mail_max_attempts: int = Field(4, ge=1, le=10, description="Tries to send a mail before giving up.")

    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(True, description="One JSON object per log line (false: plain text).")

    @field_validator("egress_ips", "egress_source_addresses", mode="before")
    @classmethod
    def _parse_ips(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("egress_ips", "egress_source_addresses")
    @classmethod
    def _check_ips(cls, value: list[str]) -> list[str]:
        for ip in value:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                raise ValueError(f"{ip!r} is not an IP address; give IPs separated by commas") from None
        return value

    def shown_egress_ips(self) -> list[str]:
        """The IP whitelist users are shown: `egress_ips` when set, else the source addresses."""
        if "egress_ips" not in self.model_fields_set and self.egress_source_addresses:
            return list(self.egress_source_addresses)
        return list(self.egress_ips)

    @field_validator("bitmart_api_url", "bitmart_web_url", "binance_api_url", "binance_web_url", "public_url")
    @classmethod
    def _check_http_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError(f"{value!r} must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("bitmart_ws_url", "binance_ws_url")
    @classmethod
    def _check_ws_url(cls, value: str) -> str:
        if urlsplit(value).scheme not in ("ws", "wss"):
            raise ValueError(f"{value!r} must start with ws:// or wss://")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db_url(cls, value: str) -> str:
        if value and not (
            value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")
        ):
            raise ValueError(
                "use an async driver URL: sqlite+aiosqlite:///path/file.sqlite3 or "
                "postgresql+asyncpg://user:password@host:port/dbname"
            )
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return value.upper()

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite+aiosqlite:///{self.data_dir / 'perpdesk.sqlite3'}"
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            self.public_url = f"http://{host}:{self.port}"
        if self.fast_connect_client_id and self.fast_connect_client_secret is None:
            raise ValueError(
                "PERPDESK_FAST_CONNECT_CLIENT_SECRET: missing; it is required when "
                "PERPDESK_FAST_CONNECT_CLIENT_ID is set (both come from the exchange's client registration)"
            )
        if self.live_ownership == "postgres" and not self.database_url.startswith("postgresql"):
            raise ValueError(
                "PERPDESK_LIVE_OWNERSHIP: 'postgres' needs a PostgreSQL PERPDESK_DATABASE_URL; "
                "use 'process' with SQLite"
            )
        return self

    # --- derived ---------------------------------------------------------------------------
    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.public_url.startswith("https://")

    @property
    def fast_connect_redirect_uri(self) -> str:
        return self.public_url + FAST_CONNECT_CALLBACK_PATH

    def default_master_key_file(self) -> Path:
        return self.data_dir / "master.key"


FAST_CONNECT_CALLBACK_PATH = "/settings/exchange-accounts/fast-connect/callback"


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


# Settings a program chose for a data directory (the demo: its sandbox's URLs), read by every
# perpdesk command given that data directory; PERPDESK_* variables (and overrides) win over it.
SAVED_SETTINGS_FILE = "settings.json"
SAVABLE = frozenset({
    "bitmart_api_url", "bitmart_web_url", "bitmart_ws_url",
    "binance_api_url", "binance_web_url", "binance_ws_url", "egress_ips",
})


def saved_settings(data_dir: Path) -> dict[str, Any]:
    """data_dir/settings.json (only the SAVABLE, non-secret settings), or {} when there is none."""
    import json

    path = data_dir / SAVED_SETTINGS_FILE
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        raise SettingsError([f"{path}: not readable as JSON; delete it (the demo writes it again)"]) from None
    if not isinstance(doc, dict):
        raise SettingsError([f"{path}: not a JSON object; delete it (the demo writes it again)"])
    return {k: v for k, v in doc.items() if k in SAVABLE}


def load_settings(**overrides: Any) -> Settings:
    """Build Settings from the environment (+ overrides), then data_dir/settings.json for what
    neither sets, or raise SettingsError naming each problem."""
    try:
        first = Settings(**overrides)
        saved = {k: v for k, v in saved_settings(first.data_dir).items() if k not in first.model_fields_set}
        return Settings(**saved, **overrides) if saved else first
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = [str(p) for p in err.get("loc", ()) if not isinstance(p, int)]
            msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
            if loc:
                name = env_name(loc[0])
                shown = "" if loc[0] in SECRET_FIELDS or "input" not in err else f" (got {err['input']!r})"
                problems.append(hide_url_password(f"{name}: {msg}{shown}"))
            else:
                problems.append(hide_url_password(msg))
        raise SettingsError(problems) from None
