"""Provably fair roulette draws.

Each spin has a 32-byte secret from the operating system's cryptographic
source. Its SHA-256 is published as the commitment before betting closes; the
secret is revealed after the draw, and anyone can recompute the pocket:

    for i = 0, 1, 2, ...:
        n = int.from_bytes(sha256(secret || i as 4 bytes big-endian))
        if n < 37 * floor(2**256 / 37): pocket = n mod 37; stop

Rejecting the top sliver of the range removes the modulo bias.
"""

from __future__ import annotations

import hashlib
import secrets

POCKETS = 37
_LIMIT = (2**256 // POCKETS) * POCKETS


def new_secret() -> str:
    return secrets.token_hex(32)


def commitment(secret_hex: str) -> str:
    return hashlib.sha256(bytes.fromhex(secret_hex)).hexdigest()


def pocket(secret_hex: str) -> int:
    """Derive the pocket (0-36) from a spin's secret, without modulo bias."""
    secret = bytes.fromhex(secret_hex)
    counter = 0
    while True:
        digest = hashlib.sha256(secret + counter.to_bytes(4, "big")).digest()
        value = int.from_bytes(digest, "big")
        if value < _LIMIT:
            return value % POCKETS
        counter += 1
