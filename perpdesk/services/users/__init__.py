"""Platform users' use cases: sign-up, sign-in and its throttling, sessions, TOTP, password
change and reset by email. The web layer only reads requests, sets cookies and renders."""
