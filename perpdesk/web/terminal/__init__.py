"""The trading terminal: its page (/trade/{account_id}/{symbol}) and JSON API."""

from perpdesk.web.terminal import api, pages

__all__ = ["api", "pages"]
