"""Pieces every exchange connector needs the same way: the exchange clock offset, HMAC-SHA256
signing with the key schedule kept, and the local order checks on an instrument's grid."""
