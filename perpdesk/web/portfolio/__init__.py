"""The dashboard (the portfolio once an account is connected), the fills history with its CSV
export, notifications and their settings: pages and JSON API."""

import perpdesk.web.portfolio.api as api
import perpdesk.web.portfolio.notifications_api as notifications_api
import perpdesk.web.portfolio.notifications_pages as notifications_pages
import perpdesk.web.portfolio.pages as pages

__all__ = ["api", "notifications_api", "notifications_pages", "pages"]
