"""What a user types about an account, cleaned: credentials and labels. A wrong value gets an
InputError naming the field and the fix; the value itself is never echoed."""

from __future__ import annotations

from perpdesk.core.errors import InputError
from perpdesk.core.models import Credentials
from perpdesk.exchanges.base import ExchangeInfo

MAX_LABEL = 100


def clean_credentials(api_key: str, secret: str, passphrase: str, ex: ExchangeInfo) -> Credentials:
    """Trim what copy-paste adds and name the field that is wrong. Values are never echoed.
    Only the exchange's credential fields are read: no passphrase for an exchange that has none."""
    api_key, secret, passphrase = (api_key or "").strip(), (secret or "").strip(), (passphrase or "").strip()
    names = {"api_key": ex.key_name, "secret": ex.secret_name}
    for name, value, label in (("api_key", api_key, "API key"), ("secret", secret, "Secret")):
        if not value:
            raise InputError(
                name, f"the {label} is empty", f"Paste the {names[name]} from {ex.key_page}."
            )
        if any(c.isspace() for c in value) or len(value) > 256 or not value.isprintable():
            raise InputError(
                name,
                f"the {label} contains spaces or unexpected characters",
                f"Copy the {names[name]} again with the copy button on {ex.name} and paste it unchanged.",
            )
    if not ex.has_passphrase:
        return Credentials(api_key=api_key, secret=secret)
    if not passphrase:
        raise InputError(
            "passphrase",
            "the Passphrase is empty",
            f"Enter the Memo you gave the key on {ex.key_page}.",
        )
    if len(passphrase) > 100 or not passphrase.isprintable():
        raise InputError(
            "passphrase",
            "the Passphrase is too long or contains unexpected characters",
            f"Enter exactly the Memo you gave the key on {ex.key_page}.",
        )
    return Credentials(api_key=api_key, secret=secret, passphrase=passphrase)


def clean_label(label: str | None, default: str) -> str:
    text = " ".join((label or "").split())
    if not text:
        return default
    if len(text) > MAX_LABEL:
        raise InputError(
            "label", f"the label is longer than {MAX_LABEL} characters", "Choose a shorter label."
        )
    return text
