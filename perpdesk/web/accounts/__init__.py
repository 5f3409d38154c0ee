"""Settings > Exchange Account API Keys: pages (`pages.router`), the JSON API (`api.router`) and
the Fast Connect callback. The services they call are `app.state.services.accounts`."""

from perpdesk.web.accounts import api, pages

__all__ = ["api", "pages"]
