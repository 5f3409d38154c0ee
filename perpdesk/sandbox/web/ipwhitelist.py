"""Parsing the IP whitelist field: the list as a platform's copy button produces it."""

from __future__ import annotations

import ipaddress
import re

from perpdesk.sandbox.web.input_errors import InputError

# BitMart's API Management allows at most 20 IP addresses per key.
MAX_IPS_PER_KEY = 20  # same as perpdesk.sandbox.identity.MAX_IPS_PER_KEY
FIELD = "IP whitelist"

_SEPARATORS = re.compile(r"[\s,;]+")


def parse_ip_list(text: str, *, field: str = FIELD) -> list[str]:
    """Split on commas, spaces or newlines; validate each IPv4; drop duplicates, keep order.

    Raises InputError naming the first bad entry (and its position) or the count over the limit.
    """
    items = [part for part in _SEPARATORS.split(text.strip()) if part]
    seen: dict[str, None] = {}
    for position, item in enumerate(items, start=1):
        try:
            address = ipaddress.IPv4Address(item)
        except ValueError:
            raise InputError(
                field,
                f"entry {position} ({item[:45]!r}) is not a valid IPv4 address",
                "Enter addresses like 203.0.113.10, separated by commas, spaces or new lines.",
            ) from None
        seen.setdefault(str(address), None)
    if len(seen) > MAX_IPS_PER_KEY:
        raise InputError(
            field,
            f"{len(seen)} addresses given; at most {MAX_IPS_PER_KEY} are allowed per API key",
            f"Remove {len(seen) - MAX_IPS_PER_KEY} address(es) or use a second key.",
        )
    return list(seen)
