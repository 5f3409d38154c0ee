"""The portfolio use cases on the in-memory unit of work and an exchange answering from a book:
the overview and its totals (the accounts read in one batch, whatever their number), realised
PnL per period over accounts, and the equity history. No database, no server: the SQL and
sandbox sides are in tests/integration/live and tests/integration/accounts/test_portfolio_cli.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from perpdesk.core.errors import ExchangeUnavailable
from perpdesk.core.ledger import Flow, Transaction
from perpdesk.core.models import Balance, Credentials
from perpdesk.services import equity_history, ledger_cache, pnl_history, portfolio
from perpdesk.services.pnl_history import Period, Range
from perpdesk.services.portfolio_query import totals
from perpdesk.store.base import utcnow
from perpdesk.store.records import EquitySample
from tests.unit.services.store_fakes import Book, BookConnector, StoreTables, store_deps

D = Decimal


@pytest.fixture(autouse=True)
def _no_kept_reads() -> None:
    ledger_cache.forget()  # reads are kept per account id for a few seconds, process-wide


def _account(
    tables: StoreTables, exchange: BookConnector, user: str, label: str, book: Book, **kw: object
) -> str:
    creds = Credentials(f"key-{label}", "secret", "memo")
    exchange.books[creds.api_key] = book
    return tables.add_account(user, label, creds, **kw)


def _usdt(equity: str, available: str, margin: str = "0", upnl: str = "0", frozen: str = "0") -> Balance:
    return Balance("USDT", D(equity), D(available), D(upnl), D(margin), D(frozen))


async def test_overview_totals_every_account_read_in_one_batch() -> None:
    tables, exchange = StoreTables(), BookConnector()
    for i in range(5):
        _account(tables, exchange, "alice", f"A{i}", Book([_usdt("100.5", "80", "20", "1.25", "0.5")]))
    _account(tables, exchange, "bob", "B", Book([_usdt("999", "999")]))
    snaps = await portfolio.overview(store_deps(tables, exchange), "alice")
    assert [s.account.label for s in snaps] == ["A0", "A1", "A2", "A3", "A4"]  # bob's is not there
    assert totals(snaps) == {
        "equity": D("502.5"),
        "available": D("400"),
        "margin": D("102.5"),
        "unrealized_pnl": D("6.25"),
    }
    # the page's database reads: the accounts once and their credentials once, not one per account
    assert tables.reads == {"accounts.summaries": 1, "credentials.of_user": 1}
    assert exchange.calls["balances"] == 5


async def test_overview_shows_an_account_that_cannot_open_beside_the_others() -> None:
    tables, exchange = StoreTables(), BookConnector()
    _account(tables, exchange, "alice", "Good", Book([_usdt("10", "10")]))
    tables.add_account("alice", "No creds", None)
    good, broken = await portfolio.overview(store_deps(tables, exchange), "alice")
    assert good.errors == {} and good.usdt is not None and good.usdt.equity == D("10")
    assert broken.account.label == "No creds" and broken.errors["account"]["code"] == "not_found"
    assert totals([good, broken])["equity"] == D("10")


async def test_overview_names_the_part_the_exchange_refused() -> None:
    tables, exchange = StoreTables(), BookConnector()
    _account(tables, exchange, "alice", "Main", Book([_usdt("10", "10")]))
    exchange.down = ExchangeUnavailable("the exchange is down")
    (snap,) = await portfolio.overview(store_deps(tables, exchange), "alice")
    assert set(snap.errors) == {"balances", "positions", "open_orders"}
    assert snap.to_dict()["unrealized_pnl"] == "0"


def _ms(day: str, hour: int = 12) -> int:
    return int(datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC).timestamp() * 1000)


async def test_pnl_history_sums_realised_pnl_fees_and_funding_per_day_over_active_accounts() -> None:
    tables, exchange = StoreTables(), BookConnector()
    day1, day2 = (
        (utcnow() - timedelta(days=2)).date().isoformat(),
        (utcnow() - timedelta(days=1)).date().isoformat(),
    )

    def tx(i: str, flow: Flow, amount: str, day: str) -> Transaction:
        return Transaction(i, "BTCUSDT", flow, D(amount), "USDT", _ms(day))

    _account(
        tables,
        exchange,
        "alice",
        "A",
        Book(
            transactions=[
                tx("1", Flow.REALIZED_PNL, "10.5", day1),
                tx("2", Flow.FEE, "-0.25", day1),
                tx("3", Flow.TRANSFER, "1000", day1),
                tx("4", Flow.FUNDING, "-0.1", day2),
            ]
        ),
    )
    _account(tables, exchange, "alice", "B", Book(transactions=[tx("5", Flow.REALIZED_PNL, "-3", day2)]))
    _account(
        tables,
        exchange,
        "alice",
        "Waiting",
        Book(transactions=[tx("6", Flow.REALIZED_PNL, "99", day2)]),
        status="awaiting_whitelist",
    )
    rows = await pnl_history.pnl(store_deps(tables, exchange), "alice", Period.DAY, Range.parse(None, None))
    assert [(r.period.isoformat(), r.realised_pnl, r.fees, r.funding, r.net) for r in rows] == [
        (day2, D("-3"), D(0), D("-0.1"), D("-3.1")),
        (day1, D("10.5"), D("-0.25"), D(0), D("10.25")),
    ]
    assert pnl_history.totals(rows).net == D("7.15")
    assert tables.reads == {"accounts.summaries": 1, "credentials.of_user": 1}  # one batch, not a loop


async def test_equity_history_stores_each_active_account_and_sums_each_pass() -> None:
    tables, exchange = StoreTables(), BookConnector()
    a = _account(tables, exchange, "alice", "A", Book([_usdt("100", "90", "10", "2")]))
    _account(tables, exchange, "alice", "B", Book([_usdt("50.5", "50.5", upnl="-1")]))
    _account(tables, exchange, "alice", "Off", Book([_usdt("7", "7")]), status="error")
    deps = store_deps(tables, exchange)
    assert await equity_history.take_snapshots(deps) == 2
    exchange.books["key-A"].balances = [_usdt("110", "100", "10", "3")]
    assert await equity_history.take_snapshots(deps) == 2
    first, second = await equity_history.history(deps, "alice")
    assert (first.equity, first.unrealized_pnl) == (D("150.5"), D("1"))
    assert (second.equity, second.unrealized_pnl) == (D("160.5"), D("2"))
    assert [p.equity for p in await equity_history.history(deps, "alice", account_id=a)] == [D(100), D(110)]
    assert await equity_history.history(deps, "bob") == []


async def test_equity_history_keeps_what_a_failing_account_does_not_stop_and_forgets_old_passes() -> None:
    tables, exchange = StoreTables(), BookConnector()
    _account(tables, exchange, "alice", "A", Book([_usdt("1", "1")]))
    tables.add_account("alice", "Broken", None)  # its credentials are missing: skipped, logged
    old = utcnow() - equity_history.KEEP - timedelta(days=1)
    tables.snapshots.append(EquitySample("alice", "x", old, D(5), D(5), D(0), D(0)))
    assert await equity_history.take_snapshots(store_deps(tables, exchange)) == 1
    assert [s.equity for s in tables.snapshots] == [D(1)]  # the pass past KEEP is gone


def test_passes_start_at_whole_multiples_of_the_interval() -> None:
    at = datetime(2026, 12, 7, 23, 14, 59, 999_000, tzinfo=UTC)
    assert equity_history.pass_of(at, 300) == datetime(2026, 12, 7, 23, 10, tzinfo=UTC)
    assert equity_history.pass_of(at.replace(minute=15, second=0, microsecond=0), 300) == datetime(
        2026, 12, 7, 23, 15, tzinfo=UTC)
    assert equity_history.pass_of(at, 10) == datetime(2026, 12, 7, 23, 14, 50, tzinfo=UTC)


async def test_a_worker_samples_its_own_mirrors_and_the_pass_takes_only_what_no_worker_mirrors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(equity_history, "STORE_CHUNK", 1)  # a transaction per sample: none is lost
    tables, exchange = StoreTables(), BookConnector()
    here = _account(tables, exchange, "alice", "Here", Book([_usdt("100", "100")]))
    there = _account(tables, exchange, "alice", "There", Book([_usdt("50", "50")]))
    _account(tables, exchange, "bob", "Nobody's", Book([_usdt("7", "7")]))
    deps = store_deps(tables, exchange)
    live = _usdt("101.5", "90", "11.5", upnl="1.5")

    class Worker:
        """This process's mirrors: `here`; another worker mirrors `there`."""

        def here(self) -> list[tuple[str, str]]:
            return [("alice", here)]

        async def elsewhere(self, account_ids: list[str]) -> set[str]:
            return {there} & set(account_ids)

        def usdt_of(self, user_id: str, account_id: str) -> Balance | None:
            return live if account_id == here else None

    w = Worker()
    taken = equity_history.pass_of(utcnow(), 300)
    assert await equity_history.take_mirrored(deps, w, taken) == 1
    assert exchange.calls["balances"] == 0  # from the mirror
    # the other worker stores `there` itself: the installation's pass takes only the rest
    assert await equity_history.take_snapshots(deps, w, w, taken) == 1
    assert exchange.calls["balances"] == 1
    assert sorted((s.user_id, s.equity) for s in tables.snapshots) == [("alice", D("101.5")), ("bob", D(7))]
    # a pass run again (a worker that raced the installation's, a restart) stores nothing twice
    await equity_history.take_mirrored(deps, w, taken)
    assert await equity_history.take_snapshots(deps, None, None, taken) == 1  # `there` only: no worker here
    assert sorted(s.equity for s in tables.snapshots) == [D(7), D(50), D("101.5")]
    (point,) = await equity_history.history(deps, "alice")
    assert point.taken_at == taken and point.equity == D("151.5")  # one pass, both accounts summed
