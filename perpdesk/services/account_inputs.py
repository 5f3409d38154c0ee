"""What a user types about an account, cleaned: credentials and labels. A wrong value gets an
InputError naming the field and the fix; the value itself is never echoed."""

from __future__ import annotations

from perpdesk.core.errors import InputError
from perpdesk.core.models import Credentials

MAX_LABEL = 100


def clean_credentials(api_key: str, secret: str, passphrase: str) -> Credentials:
    """Trim what copy-paste adds and name the field that is wrong. Values are never echoed."""
    api_key, secret, passphrase = (api_key or "").strip(), (secret or "").strip(), (passphrase or "").strip()
    for name, value, label in (("api_key", api_key, "API key"), ("secret", secret, "Secret")):
        if not value:
            raise InputError(
                name, f"the {label} is empty", f"Paste the {label} from BitMart's API Management page."
            )
        if any(c.isspace() for c in value) or len(value) > 256 or not value.isprintable():
            raise InputError(
                name,
                f"the {label} contains spaces or unexpected characters",
                f"Copy the {label} again with the copy button on BitMart and paste it unchanged.",
            )
    if not passphrase:
        raise InputError(
            "passphrase",
            "the Passphrase is empty",
            "Enter the Memo you gave the key on BitMart's API Management page.",
        )
    if len(passphrase) > 100 or not passphrase.isprintable():
        raise InputError(
            "passphrase",
            "the Passphrase is too long or contains unexpected characters",
            "Enter exactly the Memo you gave the key on BitMart's API Management page.",
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
