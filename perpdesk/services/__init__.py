"""Use cases, written against perpdesk.core and the connector Protocols.

Connecting accounts (Settings > Exchange Account API Keys):
- `key_audit`: KeyReport → verdict (ok / awaiting whitelisting / refused) with warnings. Pure.
- `errors_text`: every message the user reads, with the next step (UserMessage, ConnectRefused).
- `connect_manual`: Save (`inspect`) and Add (`add`): nothing is stored before Add.
- `fast_connect`: `start`, `finish` (the OAuth callback), `status` (polled), `recover`.
- `accounts`: list, rename, replace credentials, check, disconnect; storage of a new account.
- `whitelist_watch`: background re-check of accounts awaiting whitelisting, with backoff.
- `audit_log`: the per-user audit log and notices.
- `deps` / `wiring`: AccountsDeps (injected dependencies) built from Settings.
- `accounts_cli`: `perpdesk accounts list|connect|edit|disconnect|check`.
"""
