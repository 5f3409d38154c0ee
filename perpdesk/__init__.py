"""perpdesk: connect, trade and manage exchange futures accounts from one place."""

__version__ = "0.1.0"
