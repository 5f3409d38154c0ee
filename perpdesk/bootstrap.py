"""The composition root: every running piece of the platform is built here, once, from `Settings`.

`bootstrap(settings)` gives the typed `Services` the web app (`app.state.services`), every CLI
and the demo use. Nothing else reads Settings to build a connector, a vault or a database.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from perpdesk.core.background import PeriodicTask
from perpdesk.core.files import private_dir
from perpdesk.exchanges.common.egress import SourceAddresses
from perpdesk.exchanges.pool import ConnectorPool
from perpdesk.exchanges.registry import Egress, Endpoints
from perpdesk.jobs.queue import InProcessQueue, JobQueue, Retry
from perpdesk.jobs.singleton import PgPassLeases
from perpdesk.live.bus import user_topic
from perpdesk.live.egress_share import PgEgressShare
from perpdesk.live.query import LiveQuery
from perpdesk.live.runtime import LiveRuntime, Role
from perpdesk.live.supervisor import LiveSupervisor
from perpdesk.services.deps import AccountsDeps
from perpdesk.services.equity_history import EquitySnapshotter, MirroredSnapshotter
from perpdesk.services.in_flight import TicketDesk
from perpdesk.services.live_notifications import LiveNotifier
from perpdesk.services.notification_watch import NotificationWatcher
from perpdesk.services.ports import UnitOfWork
from perpdesk.services.trading import IntentSettler
from perpdesk.services.trading.settle import RECONCILE_EVERY as SETTLER_RECONCILE_EVERY
from perpdesk.services.trading.settle import MirroredReconciler
from perpdesk.services.users.open_streams import OpenStreams
from perpdesk.services.webhooks import Backoff, WebhookSender
from perpdesk.services.whitelist_watch import WhitelistWatcher
from perpdesk.settings import Settings, SettingsError
from perpdesk.store.db import make_engine, make_sessionmaker, migrate
from perpdesk.store.rate_windows import PgMovingWindowStorage, PgWritePacer
from perpdesk.vault import Vault, vault_from_settings
from perpdesk.vault.key_hash import KeyHasher

log = logging.getLogger("perpdesk")


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    vault: Vault
    session_secret: bytes  # keys CSRF tokens; never rendered
    connectors: ConnectorPool
    accounts: AccountsDeps  # what the account and trading use cases are given
    whitelist_watcher: WhitelistWatcher
    order_settler: IntentSettler
    equity_snapshotter: EquitySnapshotter
    notification_watcher: NotificationWatcher
    webhook_sender: WebhookSender
    mirrored_passes: list[PeriodicTask]  # this worker's part of the passes (every worker runs its own)
    live: LiveRuntime | None  # live mirrors, market hub and bus (None: PERPDESK_LIVE_ENABLED=false)
    live_notifier: LiveNotifier | None  # notifications from the mirrors' events (with `live`)
    # Last accepted TOTP time step per (user, purpose): a code opens one sign-in, never two.
    used_totp_steps: dict[str, int] = field(default_factory=dict)
    open_streams: OpenStreams = field(default_factory=OpenStreams)  # live streams per session
    role: Role = "all"  # "worker": mirrors and jobs; "web": pages, API, SSE (docs/deploy.md)
    jobs: JobQueue = field(default_factory=InProcessQueue)  # enqueued jobs (perpdesk/jobs)
    pass_leases: PgPassLeases | None = None  # on PostgreSQL: each periodic pass in one process
    egress_share: PgEgressShare | None = None  # a cluster's processes share each address's cap

    def uow(self) -> UnitOfWork:
        """One transaction over the platform's repositories: what the web and CLI reach it by."""
        return self.accounts.uow()

    def periodic_passes(self) -> list[PeriodicTask]:
        """The passes over the whole installation: each runs in one process at a time."""
        return [self.whitelist_watcher, self.order_settler, self.equity_snapshotter,
                self.notification_watcher, self.webhook_sender]

    def start_background(self) -> None:
        """The live runtime, and the background jobs unless this is a web-only process."""
        if self.egress_share is not None:
            self.egress_share.start()
        if self.role == "web":
            if self.live is not None:
                self.live.start()  # the broker's events and the workers' views
            return
        self.jobs.start()
        self.whitelist_watcher.start()
        self.order_settler.start()
        self.equity_snapshotter.start()
        self.notification_watcher.start()
        self.webhook_sender.start()
        for task in self.mirrored_passes:
            task.start()
        if self.live_notifier is not None:
            self.live_notifier.start()  # subscribed before the first mirror publishes
        if self.live is not None:
            self.live.start()

    async def record_venues(self) -> None:
        """Accounts stored before venues were get their exchange's configured venue, once (at the
        platform's start, before anything builds their connectors)."""
        async with self.uow() as uow:
            for exchange in self.connectors.configured():
                venue = self.connectors.venue(exchange)
                if await uow.accounts.record_missing_venue(exchange, venue.api_url, venue.ws_url):
                    log.info("recorded the venue of older accounts", extra={"exchange": exchange})
            await uow.commit()

    async def aclose(self) -> None:
        if self.live is not None:
            await self.live.aclose()  # mirrors and market streams before the connectors
        if self.live_notifier is not None:
            await self.live_notifier.stop()
        await self.jobs.aclose()  # before the passes whose clients the jobs use
        await self.order_settler.stop()  # before the connectors it uses are closed
        for task in self.mirrored_passes:
            await task.stop()
        await self.equity_snapshotter.stop()
        await self.notification_watcher.stop()
        await self.webhook_sender.stop()
        await self.whitelist_watcher.stop()
        if self.pass_leases is not None:
            await self.pass_leases.aclose()  # the other processes take the passes over at once
        await self.connectors.aclose()
        if self.egress_share is not None:
            await self.egress_share.aclose()  # after the WebSockets closed: the others' shares grow
        await self.engine.dispose()


def exchange_endpoints(settings: Settings) -> dict[str, Endpoints]:
    secret = settings.fast_connect_client_secret
    return {
        "bitmart": Endpoints(
            api_url=settings.bitmart_api_url,
            web_url=settings.bitmart_web_url,
            ws_url=settings.bitmart_ws_url,
            client_id=settings.fast_connect_client_id,
            client_secret=secret.get_secret_value() if secret is not None else "",
            timeout_s=settings.exchange_timeout_s,
            window_s=settings.exchange_window_s,
            settle_margin_s=settings.order_settle_margin_s,
        ),
        "binance": Endpoints(
            api_url=settings.binance_api_url,
            web_url=settings.binance_web_url,
            ws_url=settings.binance_ws_url,
            timeout_s=settings.exchange_timeout_s,
            window_s=settings.exchange_window_s,  # caps the recvWindow sent (Binance's default: 5 s)
            settle_margin_s=settings.order_settle_margin_s,
        ),
    }


HOW_TO_MAKE_ONE = "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))'"
# estimated bits a secret must hold: a random 32-character hex key (128 bits) scores 95-120 by
# its spread of characters (short strings look less random) and 90-106 by zxcvbn (dates in it)
_SPREAD_BITS = _GUESS_BITS = 80


def weak_secret(value: str) -> str | None:
    """Why `value` is too weak for a session secret, or None. Estimated twice, from how often each
    character recurs (32 identical characters or a two-letter alphabet hold almost nothing) and
    by zxcvbn (words, keyboard rows, sequences and repeats), never shown."""
    if len(value) < 32:
        return "must be at least 32 characters of random text"
    counts = Counter(value)
    spread = -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values()) * len(value)
    if len(counts) < 10 or spread < _SPREAD_BITS:
        return "is too predictable (repeated characters or a short alphabet)"
    from zxcvbn import zxcvbn  # its dictionaries load only when a secret is configured

    if float(zxcvbn(value[:100])["guesses_log10"]) * math.log2(10) < _GUESS_BITS:
        return "is too predictable (words, a sequence or a repeated pattern)"
    return None


def load_session_secret(settings: Settings) -> bytes:
    """PERPDESK_SESSION_SECRET, else a random one kept in data_dir/session_secret (0600)."""
    if settings.session_secret is not None:
        value = settings.session_secret.get_secret_value()
        problem = weak_secret(value)
        if problem:
            raise SettingsError([f"PERPDESK_SESSION_SECRET: {problem}; {HOW_TO_MAKE_ONE}"])
        return value.encode()
    path = settings.data_dir / "session_secret"
    if not path.exists():
        private_dir(path.parent)
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(48))
    return path.read_text().strip().encode()


def egress_of(settings: Settings) -> Egress:
    """How this process's exchange calls leave: with source addresses, WebSockets spread over them
    under the per-address cap and REST from the first; else all from the one address (or route)."""
    addresses = settings.egress_source_addresses
    if not addresses:
        return Egress(source_address=settings.egress_source_address, proxy=settings.egress_proxy)
    return Egress(
        source_address=addresses[0],
        proxy=settings.egress_proxy,
        ws_sources=SourceAddresses(addresses, settings.ws_per_address_max),
    )


def _own_mirrors(live: LiveRuntime | None) -> LiveQuery | None:
    """This process's own mirrors (a web-only process has none: its views come over the broker)."""
    if live is not None and isinstance(live.supervisor, LiveSupervisor):
        return LiveQuery(live.supervisor)
    return None


def _mirrored_passes(settings: Settings, accounts: AccountsDeps,
                     mirrors: LiveQuery | None) -> list[PeriodicTask]:
    """Each worker's part of the passes over every account: those it mirrors, from its mirrors."""
    if mirrors is None:
        return []
    reconcile_s = settings.order_settle_interval_s * SETTLER_RECONCILE_EVERY
    return [MirroredReconciler(accounts, reconcile_s, mirrors),
            MirroredSnapshotter(accounts, settings.equity_snapshot_interval_s, mirrors)]


def bootstrap(settings: Settings, role: Role = "all") -> Services:
    """Build everything; open nothing yet (connections open on first use, tasks on start)."""
    engine = make_engine(settings.database_url)
    sessions = make_sessionmaker(engine)
    vault = vault_from_settings(settings)
    egress = egress_of(settings)
    if role != "all" and engine.dialect.name == "postgresql":  # a cluster: writes paced once for all
        egress = replace(egress, write_pacer=PgWritePacer(PgMovingWindowStorage(engine)))
    pool = ConnectorPool(exchange_endpoints(settings), egress)
    accounts = AccountsDeps(
        sessions=sessions,
        vault=vault,
        hasher=KeyHasher.from_file(settings.data_dir / "key_hash.secret"),
        egress_ips=tuple(settings.shown_egress_ips()),
        connector_for=pool.connector,
        fast_connect_for=pool.fast_connect,
        venue_for=pool.venue,
        redirect_uri=settings.fast_connect_redirect_uri,
        grant_ttl=timedelta(seconds=settings.fast_connect_ttl_s),
        recheck_base=timedelta(seconds=settings.whitelist_recheck_base_s),
        recheck_max=timedelta(seconds=settings.whitelist_recheck_max_s),
        watch_interval_s=settings.whitelist_watch_interval_s,
        webhook_allow_private=settings.webhook_allow_private,
        # a claim's request is answered (or given up on) within the exchange timeout
        tickets=TicketDesk(hold=timedelta(seconds=settings.exchange_timeout_s)),
    )
    webhooks = WebhookSender(accounts, Backoff(settings.webhook_retry_base_s, settings.webhook_max_attempts))
    live = build_live_runtime(settings, engine, accounts, pool, role)
    if live is not None:
        bus = live.bus
        accounts.on_notifications_changed = lambda user_id: bus.publish(user_topic(user_id), "unread", {})
    mirrors = _own_mirrors(live)
    services = Services(
        settings=settings,
        engine=engine,
        vault=vault,
        session_secret=load_session_secret(settings),
        connectors=pool,
        accounts=accounts,
        whitelist_watcher=WhitelistWatcher(accounts),
        order_settler=IntentSettler(accounts, settings.order_settle_interval_s, mirrors=mirrors),
        equity_snapshotter=EquitySnapshotter(accounts, settings.equity_snapshot_interval_s, mirrors=mirrors),
        mirrored_passes=_mirrored_passes(settings, accounts, mirrors),
        # with live mirrors, fills, triggers and liquidation distance come from their events
        notification_watcher=NotificationWatcher(
            accounts, settings.notification_check_interval_s, on_new=webhooks, rest=live is None
        ),
        webhook_sender=webhooks,
        live=live,
        live_notifier=LiveNotifier(accounts, live.bus, on_new=webhooks)
        if live is not None and role != "web" else None,
        open_streams=OpenStreams(settings.live_streams_per_session, settings.live_streams_per_user),
        role=role,
    )
    if engine.dialect.name == "postgresql":  # processes may share it: each pass and job runs once
        from perpdesk.jobs.pg_queue import PgJobQueue

        services.pass_leases = PgPassLeases(engine)
        services.jobs = PgJobQueue(settings.database_url)
    for task in services.periodic_passes():
        task.gate = services.pass_leases
    if role != "all" and engine.dialect.name == "postgresql" and egress.ws_sources is not None:
        services.egress_share = PgEgressShare(engine, egress.ws_sources, settings.live_scan_interval_s)
    register_jobs(services)
    return services


def register_jobs(services: Services) -> None:
    """What the job queue runs (enqueued by the web requests and the passes)."""
    from perpdesk.services.users import passwords_change
    from perpdesk.services.webhooks import DELIVER_JOB

    async def reset_mail(payload: bytes) -> None:
        await passwords_change.send_reset_mail(services, payload)

    async def webhook_queued(delivery_id: str) -> None:
        await services.jobs.enqueue(DELIVER_JOB, delivery_id.encode(), key=delivery_id)

    settings = services.settings
    services.jobs.register(passwords_change.RESET_MAIL_JOB, reset_mail,
                           Retry(settings.mail_max_attempts, settings.mail_retry_base_s))
    # one attempt; a failed delivery's retries are the webhook pass's (the row's backoff)
    services.jobs.register(DELIVER_JOB, services.webhook_sender.deliver, Retry(max_attempts=1))
    services.accounts.on_webhook_queued = webhook_queued


def build_live_runtime(
    settings: Settings, engine: AsyncEngine, accounts: AccountsDeps, pool: ConnectorPool, role: Role = "all"
) -> LiveRuntime | None:
    """One mirror per active account this process owns, the shared market hub and the bus."""
    if not settings.live_enabled:
        return None
    from perpdesk.live.ownership import InProcessOwnership, Ownership
    from perpdesk.live.runtime import build_live
    from perpdesk.services.live_accounts import DbAccountSource

    ownership: Ownership = InProcessOwnership()
    if settings.live_ownership == "postgres" or role == "worker":
        from perpdesk.live.pg_lease import PgLeaseOwnership

        ownership = PgLeaseOwnership(engine)
    return build_live(
        settings, DbAccountSource(accounts), pool.connector, pool.market_connector, ownership=ownership,
        role=role,
    )


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """For commands that need only the database (vault status, rotation): migrated, closed after."""
    await migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        yield make_sessionmaker(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def running(settings: Settings) -> AsyncIterator[Services]:
    """For commands: migrate the database, build the services, close them after."""
    await migrate(settings.database_url)
    services = bootstrap(settings)
    try:
        yield services
    finally:
        await services.aclose()
