"""The dashboard (the portfolio once an account is connected), the fills history with its CSV
export, notifications and their settings: pages and JSON API."""

from perpdesk.web.portfolio import api, notifications_api, notifications_pages, pages

__all__ = ["api", "notifications_api", "notifications_pages", "pages"]
