"""Sign and verify access and refresh tokens (JWT, EdDSA).

Only the authentication service holds a private key; every other process holds
public keys alone and so cannot mint a token. Keys are generated on first start
into the private secrets directory; every key ever used stays verifiable by its
key id, so rotating the signing key logs nobody out.
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from oddsmith import errors

ALGORITHM = "EdDSA"
ACCESS, REFRESH = "access", "refresh"


@dataclass(frozen=True)
class Claims:
    user_id: int
    session_id: str
    role: str
    token_id: str
    expires_at: int


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:16]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def ensure_signing_key(secrets_dir: Path, rotate: bool = False) -> str:
    """Create a signing key when there is none (or when rotating); return its id."""
    secrets_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    current = secrets_dir / "signing-key"
    if current.exists() and not rotate:
        return current.read_text().strip()
    private = Ed25519PrivateKey.generate()
    kid = _key_id(private.public_key())
    _write_private(
        secrets_dir / f"{kid}.key",
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )
    public_dir = secrets_dir / "public"
    public_dir.mkdir(exist_ok=True)
    (public_dir / f"{kid}.pub").write_bytes(
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    # Replace the pointer atomically so a reader never sees it half written.
    pointer = secrets_dir / "signing-key.tmp"
    pointer.write_text(kid)
    pointer.replace(current)
    return kid


class Signer:
    """Mint tokens with the current private key (authentication service only)."""

    def __init__(self, secrets_dir: Path, issuer: str, audience: str) -> None:
        self.kid = ensure_signing_key(secrets_dir)
        pem = (secrets_dir / f"{self.kid}.key").read_bytes()
        self._key = serialization.load_pem_private_key(pem, password=None)
        self.issuer = issuer
        self.audience = audience

    def mint(
        self, *, user_id: int, session_id: str, role: str, kind: str, lifetime: int
    ) -> tuple[str, str]:
        """Return a signed token and its id."""
        now = int(time.time())
        token_id = str(uuid.uuid4())
        claims = {
            "sub": str(user_id),
            "sid": session_id,
            "role": role,
            "typ": kind,
            "jti": token_id,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "iss": self.issuer,
            "aud": self.audience,
        }
        token = jwt.encode(
            claims, self._key, algorithm=ALGORITHM, headers={"kid": self.kid}
        )
        return token, token_id


class Verifier:
    """Check tokens against the public keys in the secrets directory."""

    def __init__(self, secrets_dir: Path, issuer: str, audience: str) -> None:
        self.public_dir = secrets_dir / "public"
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[str, Any] = {}

    def _key(self, kid: str) -> Any:
        key = self._keys.get(kid)
        if key is None:
            # A key id we have not seen may be a freshly rotated key.
            path = self.public_dir / f"{kid}.pub"
            if not kid.isalnum() or not path.exists():
                raise errors.Unauthorized("The token was signed by an unknown key.")
            key = serialization.load_pem_public_key(path.read_bytes())
            self._keys[kid] = key
        return key

    def verify(self, token: str, kind: str = ACCESS) -> Claims:
        """Return the claims of a valid token of ``kind``, or raise Unauthorized."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") != ALGORITHM:
                raise errors.Unauthorized("The token uses a refused algorithm.")
            payload = jwt.decode(
                token,
                self._key(str(header.get("kid", ""))),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]},
            )
        except jwt.PyJWTError as exc:
            raise errors.Unauthorized("The token is invalid or expired.") from exc
        if payload.get("typ") != kind or not isinstance(payload.get("sid"), str):
            raise errors.Unauthorized("The token is not of the expected type.")
        try:
            user_id = int(payload["sub"])
        except (TypeError, ValueError) as exc:
            raise errors.Unauthorized("The token names no user.") from exc
        return Claims(
            user_id=user_id,
            session_id=payload["sid"],
            role=str(payload.get("role", "")),
            token_id=payload["jti"],
            expires_at=int(payload["exp"]),
        )
