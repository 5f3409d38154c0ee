"""The domain, pure: value types and typed errors. No I/O, no framework imports."""
