"""The sandbox's HTTP side: BitMart's REST wire protocol (rest, endpoints, auth, limits, faults)
and the admin API."""

from perpdesk.sandbox.api.admin import admin_routes
from perpdesk.sandbox.api.faults import Faults
from perpdesk.sandbox.api.ratelimit import RateLimiter
from perpdesk.sandbox.api.rest import RestApi, not_found

__all__ = ["Faults", "RateLimiter", "RestApi", "admin_routes", "not_found"]
