"""The source addresses a process opens its exchange WebSockets from: each new connection takes
the least-used address still under the per-address cap (the exchanges limit connections per IP:
BitMart about 500), and gives it back when it closes. Beyond the cap on every address a new
connection is refused with a message that names the settings to change; the stream that asked
retries with its backoff (EgressFull is an OSError, one of the streams' drops).

The counts are this process's. Processes that share an address share its cap: in a cluster each
says which addresses it uses and learns how many processes use each (`live/egress_share.py`,
through PostgreSQL), and its cap on an address is `per_address_max // sharers`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from perpdesk.metrics import CountedLink

DEFAULT_PER_ADDRESS_MAX = 450


class EgressFull(OSError):
    """Every source address has its maximum of exchange WebSockets open."""


class SourceAddresses:
    """The addresses (None: the system's default route) and how many connections each has open."""

    def __init__(
        self, addresses: Sequence[str | None], per_address_max: int = DEFAULT_PER_ADDRESS_MAX
    ) -> None:
        if not addresses:
            raise ValueError("at least one source address (None: the default route)")
        if per_address_max < 1:
            raise ValueError("per_address_max must be at least 1")
        self.addresses: tuple[str | None, ...] = tuple(dict.fromkeys(addresses))
        self.per_address_max = per_address_max
        self._open: dict[str | None, int] = dict.fromkeys(self.addresses, 0)
        self._sharers: dict[str | None, int] = dict.fromkeys(self.addresses, 1)

    def open_counts(self) -> dict[str | None, int]:
        return dict(self._open)

    def set_sharers(self, sharers: dict[str | None, int]) -> None:
        """How many processes (this one included) use each address now."""
        for address in self.addresses:
            self._sharers[address] = max(1, sharers.get(address, 1))

    def cap(self, address: str | None) -> int:
        """This process's share of the address's connections."""
        return max(1, self.per_address_max // self._sharers[address])

    def take(self) -> str | None:
        """The address with the most room under its cap (the first configured on a tie), counted
        as open."""
        address = max(self.addresses, key=lambda a: self.cap(a) - self._open[a])
        if self._open[address] >= self.cap(address):
            shown = ", ".join(
                f"{a or 'default'} ({self._open[a]} of {self.cap(a)})" for a in self.addresses
            )
            raise EgressFull(
                f"every source address is at this process's share of {self.per_address_max} "
                f"exchange WebSockets: {shown}; add an address to PERPDESK_EGRESS_SOURCE_ADDRESSES "
                "(and to the IP whitelist), or a worker with addresses of its own"
            )
        self._open[address] += 1
        return address

    def give_back(self, address: str | None) -> None:
        if self._open.get(address, 0) > 0:
            self._open[address] -= 1


class PooledLink:
    """`async with`: a WebSocket from the pool's least-used address, given back when it closes
    (or when it fails to open)."""

    def __init__(self, pool: SourceAddresses, connect: Any) -> None:
        self.pool, self.connect = pool, connect  # connect(local_addr) -> the library's opener
        self._link: CountedLink | None = None
        self._address: str | None = None

    async def __aenter__(self) -> Any:
        self._address = self.pool.take()
        local = (self._address, 0) if self._address else None
        self._link = CountedLink(self.connect(local), self._address)
        try:
            return await self._link.__aenter__()
        except BaseException:
            self.pool.give_back(self._address)
            self._link = None
            raise

    async def __aexit__(self, *exc: object) -> Any:
        link, self._link = self._link, None
        try:
            return await link.__aexit__(*exc) if link is not None else None
        finally:
            self.pool.give_back(self._address)
