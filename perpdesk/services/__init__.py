"""Use cases, written against perpdesk.core, the connector Protocols and the storage ports.

Connecting accounts (Settings > Exchange Account API Keys):
- `key_audit`: KeyReport → verdict (ok / awaiting whitelisting / refused) with warnings. Pure.
- `errors_text`: every message the user reads, with the next step (UserMessage, ConnectRefused).
- `account_inputs`: cleaning what the user typed (credentials, labels).
- `account_access`: the user's own account, its sealed credentials, asking the exchange about a
  key, storing a newly inspected key.
- `connect_manual`: Save (`inspect`) and Add (`add`): nothing is stored before Add.
- `fast_connect` (+ `fast_connect_outcome`): `start`, `finish` (the OAuth callback), `status`
  (polled), `recover`.
- `accounts`: list, rename, replace credentials, disconnect. `account_checks`: check again, backoff.
- `account_views`: what pages, API and CLI show; the + Connect Account chooser.
- `whitelist_watch`: background re-check of accounts awaiting whitelisting, with backoff.
- `audit_log`: the per-user audit log and notices.
- `ports` (the unit of work they are given), `deps` (AccountsDeps, built in perpdesk/bootstrap.py).
"""
