"""A client of a running sandbox's admin API (the `perpdesk sandbox admin` commands and the tests)."""

from __future__ import annotations

from typing import Any


class AdminClient:
    """Sync client of the admin API (used by the CLI and the test fixture)."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        import httpx  # here, not at the top: it costs every `perpdesk` command ~0.5 s of imports

        self.url = url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.url + "/sandbox-admin",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        response = self._http.request(method, path, json=body, params={k: v for k, v in query.items() if v})
        try:
            payload = response.json()
        except ValueError:
            payload = {"error": {"field": "", "message": response.text}}
        if response.status_code >= 400:
            error = payload.get("error", {}) if isinstance(payload, dict) else {}
            raise AdminCallError(
                response.status_code, error.get("field", ""), error.get("message", str(payload))
            )
        return payload

    def close(self) -> None:
        self._http.close()


class AdminCallError(RuntimeError):
    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(f"{status} {field}: {message}" if field else f"{status} {message}")
        self.status = status
        self.field = field
        self.message = message
