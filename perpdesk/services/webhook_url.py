"""The one reading of a webhook URL a user saves: parsed and normalised once, by the same rules
when it is saved (a field error) and before every delivery (a failed delivery, never a crash).

Only printable ASCII is accepted: `urlsplit` silently drops TAB/CR/LF while the HTTP client
refuses them, so a URL that passed the first and failed the second used to be stored. The stored
form is the normalised one (scheme and host in lower case, no trailing dot, the default port
dropped, an IPv4 host written in any of the forms `inet_aton` reads rewritten as a dotted quad), so
what was checked is what is delivered to.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from perpdesk.core.errors import InputError
from perpdesk.services.webhook_target import ALLOW_SETTING, check_saved_url, refusal

FIELD = "webhook_url"
MAX_URL = 500
_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_HOST_NAME = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*")
_IPV4_SPELLING = re.compile(r"[0-9a-fx.]+")
FIX = "Give an http(s) URL such as https://example.com/hooks/perpdesk (no user name or password)."


@dataclass(frozen=True)
class WebhookUrl:
    url: str  # the normalised text, stored and delivered to
    host: str
    port: int


def _bad(problem: str, fix: str = FIX) -> InputError:
    return InputError(FIELD, problem, fix)


def _host(raw: str) -> str:
    host = raw.lower().rstrip(".")
    if _IPV4_SPELLING.fullmatch(host):
        try:  # 2130706433, 0x7f.1, 127.1: the resolver reads them all as an IPv4 address
            return socket.inet_ntoa(socket.inet_aton(host))
        except OSError:
            pass
    return host


def parse(raw: str | None) -> WebhookUrl | None:
    """The normalised URL, or None when empty; InputError on the `webhook_url` field otherwise."""
    text = (raw or "").strip(" ")
    if not text:
        return None
    if len(text) > MAX_URL:
        raise _bad(f"is longer than {MAX_URL} characters", "Give a shorter URL.")
    if not _PRINTABLE.fullmatch(text):
        raise _bad("contains spaces, control characters (tab, line breaks) or non-ASCII characters",
                   "Give the URL in plain ASCII; percent-encode anything else (%20 for a space).")
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise _bad("is not an http(s) URL with a host")
    if "@" in parts.netloc or parts.fragment:
        raise _bad("must not carry a user name, password or #fragment")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise _bad("has a malformed port") from None
    host = _host(parts.hostname)
    if not host:
        raise _bad("is not an http(s) URL with a host")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
        if not _HOST_NAME.fullmatch(host):
            raise _bad("has a host name with characters a host name cannot have",
                       "Give the host as letters, digits, dots and hyphens (xn-- form for others).") from None
    shown = f"[{literal.compressed}]" if isinstance(literal, ipaddress.IPv6Address) else host
    default = (scheme, port) in (("http", 80), ("https", 443))
    netloc = shown if default else f"{shown}:{port}"
    return WebhookUrl(urlunsplit((scheme, netloc, parts.path, parts.query, "")), host, port)


def _local_name(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")  # RFC 6761: always this machine


async def check_target(url: WebhookUrl, *, allow_private: bool) -> None:
    """Refuse a URL whose host is or resolves to this machine or a private network (unless the
    operator allows it); deliveries check again on every connection."""
    if allow_private:
        return
    try:
        literal = ipaddress.ip_address(url.host)
    except ValueError:
        literal = None
    why = "a loopback name (this machine)" if _local_name(url.host) else None
    if why is None and literal is not None:
        why = refusal(literal)
    if why is None and literal is None:
        refused = await check_saved_url(url.host, url.port, allow_private=False)
        why = refused.why if refused is not None else None
    if why is not None:
        raise _bad(
            f"points at {why}: webhooks may not reach this machine or private networks",
            "Give the public address of your bridge (Telegram, Discord, Slack...). An operator who "
            f"runs the receiver on a private network can allow it with {ALLOW_SETTING}=true.",
        )
