"""One connector per exchange behind the Protocols in exchanges/base.py."""
