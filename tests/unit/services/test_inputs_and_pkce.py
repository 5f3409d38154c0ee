"""Form cleaning, PKCE, key hashing and backoff: pure helpers of the account services."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from perpdesk.core.errors import InputError
from perpdesk.core.pkce import pkce_challenge as s256
from perpdesk.core.pkce import pkce_verifier as new_verifier
from perpdesk.exchanges.registry import entry
from perpdesk.services.account_checks import backoff
from perpdesk.services.account_inputs import clean_credentials, clean_label
from perpdesk.vault.key_hash import KeyHasher


def test_credentials_are_trimmed_and_repr_hides_secrets() -> None:
    c = clean_credentials("  AK123 \n", "\tSECRETVALUE ", " memo1 ", entry("bitmart").info)
    assert (c.api_key, c.secret, c.passphrase) == ("AK123", "SECRETVALUE", "memo1")
    assert "SECRETVALUE" not in repr(c) and "memo1" not in repr(c)


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("", "s", "m"), "api_key"),
        (("a b", "s", "m"), "api_key"),
        (("ak", "", "m"), "secret"),
        (("ak", "se cret", "m"), "secret"),
        (("ak", "s", ""), "passphrase"),
        (("ak", "s", "x" * 101), "passphrase"),
    ],
)
def test_bad_credentials_name_the_field_without_echoing(args: tuple[str, str, str], field: str) -> None:
    with pytest.raises(InputError) as info:
        clean_credentials(*args, entry("bitmart").info)
    assert info.value.field == field
    assert "se cret" not in str(info.value.to_dict())


def test_binance_keys_have_no_passphrase_and_errors_say_binance() -> None:
    """Binance's credential fields are API key and Secret: a passphrase sent anyway is not kept."""
    binance = entry("binance").info
    c = clean_credentials(" AK ", "SECRET", "stray memo", binance)
    assert (c.api_key, c.secret, c.passphrase) == ("AK", "SECRET", "")
    with pytest.raises(InputError) as info:
        clean_credentials("AK", "", "", binance)
    assert info.value.field == "secret" and "Binance's API Management page" in info.value.next_step


def test_label() -> None:
    assert clean_label("  My   account ", "d") == "My account"
    assert clean_label("", "Fast Connect Futures") == "Fast Connect Futures"
    with pytest.raises(InputError):
        clean_label("x" * 101, "d")


def test_pkce_s256_matches_rfc7636_vector() -> None:
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )
    v = new_verifier()
    assert 43 <= len(v) <= 128 and v != new_verifier()


def test_key_hasher_is_keyed() -> None:
    a, b = KeyHasher(b"a" * 32), KeyHasher(b"b" * 32)
    assert a.api_key("bitmart", "K") == a.api_key("bitmart", "K") != b.api_key("bitmart", "K")
    assert a.api_key("bitmart", "K") != a.exchange_account("bitmart", "K")
    with pytest.raises(ValueError):
        KeyHasher(b"short")


def test_backoff_doubles_and_caps() -> None:
    class D:
        recheck_base = timedelta(seconds=2)
        recheck_max = timedelta(seconds=10)

    d: Any = D()
    assert [backoff(d, n).total_seconds() for n in (1, 2, 3, 4, 5)] == [2, 4, 8, 10, 10]
