"""Our signing is pinned to vectors computed with BitMart's official SDK (bitmart-python-sdk-api
2.8.0, bitmart.lib.cloud_utils.sign over pre_substring), and compared with it live. Requests are
signed with the common HmacSha256 (key schedule kept) over BitMart's message: held to the same."""

from __future__ import annotations

import pytest
from bitmart.lib.cloud_utils import pre_substring
from bitmart.lib.cloud_utils import sign as sdk_sign

from perpdesk.exchanges.bitmart.signing import message, sign, ws_login_sign
from perpdesk.exchanges.common.signer import HmacSha256

# (timestamp, memo, payload, secret) -> X-BM-SIGN, computed once with the SDK and frozen here.
VECTORS = [
    (("1700000000000", "memo1", '{"symbol":"BTCUSDT","side":1}', "secret-abc"),
     "2e7cd9f8b73dd674a9ccf0d7d68fb03f54c26a1e3f5367f757f64773492d5e8f"),
    (("1589793795969", "test001", "symbol=BTCUSDT&order_id=123",
      "6c6c98544461bbe71db2bca4c6d7fd0021e0ba9efc215f9c6ad41852df9d9df9"),
     "7da30d6a01b27ed4668cc2ce7fe4007a99abb4c32666d312b63ad362cc64c41d"),
    (("1700000000001", "Ünïcödé memo", "{}", "s"),
     "3ec2856aec87088d2fd36bde7d3f17c844649de07d1cf90683fda79178d64e11"),
    (("1700000000002", "", "", "empty-memo"),
     "9236a110b4b309ea404ea677b40d6a16f68773384ff34a71ef624cc554d94f0d"),
]


@pytest.mark.parametrize(("args", "expected"), VECTORS)
def test_sign_matches_frozen_sdk_vectors(args: tuple[str, str, str, str], expected: str) -> None:
    ts, memo, payload, secret = args
    assert sign(secret, ts, memo, payload) == expected
    assert sign(secret, ts, memo, payload.encode()) == expected  # bytes payloads sign the same


@pytest.mark.parametrize(("args", "expected"), VECTORS)
def test_sign_matches_the_sdk_live(args: tuple[str, str, str, str], expected: str) -> None:
    ts, memo, payload, secret = args
    assert sign(secret, ts, memo, payload) == sdk_sign(pre_substring(ts, memo, payload), secret)


def test_ws_login_signs_the_constant_payload() -> None:
    expected = "7706c3e5207d0608dcd31abd2bfc18a4ceff3a19a1f8fd24d8ebd0775919deed"
    assert ws_login_sign("k", "1700000000003", "m") == expected
    assert ws_login_sign("k", "1700000000003", "m") == sdk_sign(
        pre_substring("1700000000003", "m", "bitmart.WebSocket"), "k")


def test_memo_and_secret_both_change_the_signature() -> None:
    base = sign("secret", "1", "memo", "x")
    assert sign("secret", "1", "memo2", "x") != base
    assert sign("secret2", "1", "memo", "x") != base


@pytest.mark.parametrize(("args", "expected"), VECTORS)
def test_cached_signer_matches_the_vectors(args: tuple[str, str, str, str], expected: str) -> None:
    ts, memo, payload, secret = args
    signer = HmacSha256()
    signed = message(ts, memo, payload.encode())
    assert signer.hexdigest(secret, signed) == expected
    assert signer.hexdigest(secret, signed) == expected  # from the kept key schedule


@pytest.mark.parametrize("secret", ["", "k" * 63, "k" * 64, "k" * 65, "ü" * 40, "x" * 300])
def test_cached_signer_matches_the_sdk_at_every_key_length(secret: str) -> None:
    # RFC 2104 pads keys up to SHA-256's 64-byte block and hashes longer ones first
    signer = HmacSha256(max_keys=2)
    for other in ("a", "b", secret):  # the bounded cache is cleared and refilled on the way
        signer.hexdigest(other, message("1", "m", b"{}"))
    body = '{"symbol":"BTCUSDT","size":1}'
    assert signer.hexdigest(secret, message("1700000000000", "memo", body.encode())) == sdk_sign(
        pre_substring("1700000000000", "memo", body), secret)
    assert "k" * 10 not in repr(signer) and "x" * 10 not in repr(signer)


def test_cached_signer_keeps_no_plaintext_secret() -> None:
    signer = HmacSha256()
    secret = "s3cr3t-only-in-this-call-4f1c"
    signer.hexdigest(secret, message("1", "m", b"{}"))
    assert len(signer._pads) == 1 and all(not isinstance(k, str) for k in signer._pads)
    # a different secret never reuses the first one's key schedule
    signed = message("1", "m", b"{}")
    assert signer.hexdigest(secret + "x", signed) != signer.hexdigest(secret, signed)
