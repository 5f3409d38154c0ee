"""The transport's configuration errors never carry the proxy's password."""

from __future__ import annotations

import pytest

from perpdesk.http import HttpClient


@pytest.mark.parametrize("proxy", ["socks5://egress:proxy-Passw0rd@10.0.0.1:1080", "https://egress:proxy-Passw0rd@p:3128"])
def test_bad_proxy_is_named_without_its_password(proxy: str) -> None:
    with pytest.raises(ValueError) as exc:
        HttpClient(proxy=proxy)
    assert "proxy must be http://" in str(exc.value)
    assert "egress:***@" in str(exc.value)
    assert "proxy-Passw0rd" not in str(exc.value)
