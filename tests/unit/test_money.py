from decimal import Decimal

from perpdesk.core.models import Credentials
from perpdesk.core.money import fmt, quantize_down, quantize_nearest


def test_quantize_and_format() -> None:
    assert quantize_down(Decimal("1.239"), Decimal("0.01")) == Decimal("1.23")
    assert quantize_nearest(Decimal("100.26"), Decimal("0.5")) == Decimal("100.5")
    assert fmt(Decimal("1E+2")) == "100"
    assert fmt(Decimal("0.1000")) == "0.1"


def test_credentials_repr_hides_secrets() -> None:
    creds = Credentials("abcdef123456", "topsecretvalue", "mymemo")
    assert "topsecretvalue" not in repr(creds) and "mymemo" not in str(creds)
