"""Response headers and the Origin check: a strict CSP on every page, HSTS only when the public
URL is https, and state-changing requests refused unless Origin is exactly this site's origin
(scheme included; `Origin: null` refused)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.platform import PlatformServer, launch_platform


def _csrf(c: httpx.Client) -> dict[str, str]:
    return {"X-CSRF-Token": c.get("/api/auth/csrf").json()["csrf_token"]}


def test_csp_and_no_hsts_over_http(platform: PlatformServer) -> None:
    with httpx.Client(base_url=platform.url) as c:
        for path in ("/signin", "/api/health", "/no-such-page"):
            r = c.get(path)
            csp = r.headers["content-security-policy"]
            assert "default-src 'self'" in csp and "script-src 'self'" in csp, path
            assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
            assert "strict-transport-security" not in r.headers


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (None, True),  # no Origin (older clients, same-origin GET-initiated forms): the token decides
        ("{url}", True),
        ("{url_upper}", True),
        ("null", False),
        ("https://{netloc}", False),  # same host and port, another scheme
        ("http://evil.example", False),
        ("http://{netloc}.evil.example", False),
    ],
)
def test_origin_must_be_this_site_scheme_included(
    platform: PlatformServer, origin: str | None, allowed: bool
) -> None:
    netloc = platform.url.split("://", 1)[1]
    with httpx.Client(base_url=platform.url) as c:
        headers = _csrf(c)
        if origin is not None:
            headers["Origin"] = origin.format(url=platform.url, url_upper=platform.url.upper(), netloc=netloc)
        r = c.post("/api/auth/signout", headers=headers)
        assert (r.status_code == 204) is allowed, (origin, r.status_code, r.text)
        if not allowed:
            assert r.status_code == 403 and r.json()["error"]["code"] == "csrf_failed"


@pytest.fixture(scope="module")
def https_platform() -> Iterator[PlatformServer]:
    server = launch_platform(public_url="https://desk.example", cookie_secure=False)
    yield server
    server.stop()


def test_hsts_and_the_public_origin_behind_a_tls_proxy(https_platform: PlatformServer) -> None:
    with httpx.Client(base_url=https_platform.url) as c:
        r = c.get("/signin")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        headers = _csrf(c)
        ok = c.post("/api/auth/signout", headers={**headers, "Origin": "https://desk.example"})
        assert ok.status_code == 204
        plain = c.post("/api/auth/signout", headers={**headers, "Origin": "http://desk.example"})
        assert plain.status_code == 403
