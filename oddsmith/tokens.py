"""Sign and verify access and refresh tokens (JWT, EdDSA).

Only the authentication service holds a private key; every other process holds
public keys alone and so cannot mint a token. Keys are generated on first start
into the private secrets directory (mode 0700, files 0600). Rotating makes a new
key the signing key while the old public keys stay, so tokens already issued
keep working; a retired key is pruned once every token it signed has expired.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import os
import re
import stat
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

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
ACCESS, REFRESH = "access", "refresh"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti"]
# Key ids are our own hex digests; anything else never reaches the filesystem.
KEY_ID = re.compile(r"^[0-9a-f]{16}$")
# Hosts' clocks drift apart a little; a fresh token must not look premature.
LEEWAY_SECONDS = 5
MAX_TOKEN_CHARS = 4096
POINTER = "signing-key"


@dataclass(frozen=True)
class Claims:
    user_id: int
    session_id: str
    role: str
    token_id: str
    expires_at: int


def is_expiry(exc: BaseException) -> bool:
    """Tell whether a refusal from :meth:`Verifier.verify` was only expiry."""
    return isinstance(exc.__cause__, jwt.ExpiredSignatureError)


def _key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return hashlib.sha256(raw).hexdigest()[:16]


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _private_dir(path: Path) -> None:
    """Create ``path`` if missing and make it readable by its owner only."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    # mkdir's mode is filtered by the umask and ignored for an existing directory.
    if stat.S_IMODE(path.stat().st_mode) != 0o700:
        os.chmod(path, 0o700)


def _tighten(path: Path) -> None:
    """Make a key file owner-only, warning when someone had loosened it."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("key file %s had mode %o; setting 0600", path, mode)
        os.chmod(path, 0o600)


def ensure_signing_key(secrets_dir: Path, rotate: bool = False) -> str:
    """Create a signing key when there is none (or when rotating); return its id."""
    _private_dir(secrets_dir)
    ignore = secrets_dir / ".gitignore"
    if not ignore.exists():
        # Keys must never be committed, wherever the directory is put.
        ignore.write_text("*\n")
    public_dir = secrets_dir / "public"
    _private_dir(public_dir)
    current = secrets_dir / POINTER
    if current.exists() and not rotate:
        kid = current.read_text().strip()
        _tighten(secrets_dir / f"{kid}.key")
        return kid
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
    _write_private(
        public_dir / f"{kid}.pub",
        private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    )
    # Replace the pointer atomically so a reader never sees it half written.
    pointer = secrets_dir / f"{POINTER}.tmp"
    pointer.unlink(missing_ok=True)
    _write_private(pointer, kid.encode())
    pointer.replace(current)
    log.info("signing key is now %s", kid)
    return kid


def prune_keys(
    secrets_dir: Path, token_lifetime: int, now: float | None = None
) -> list[str]:
    """Delete retired keys whose every token has expired; return their ids.

    A key stops signing when the next one is created, so its tokens are all
    gone ``token_lifetime`` seconds (plus the leeway) after that moment.
    """
    now = time.time() if now is None else now
    current = (secrets_dir / POINTER).read_text().strip()
    public_dir = secrets_dir / "public"
    keys = sorted(
        (path.stat().st_mtime, path.stem)
        for path in public_dir.glob("*.pub")
        if KEY_ID.match(path.stem)
    )
    pruned = []
    for (_, kid), (successor_created, _) in itertools.pairwise(keys):
        if kid == current:
            continue
        if successor_created + token_lifetime + LEEWAY_SECONDS < now:
            (public_dir / f"{kid}.pub").unlink(missing_ok=True)
            (secrets_dir / f"{kid}.key").unlink(missing_ok=True)
            pruned.append(kid)
    return pruned


class Signer:
    """Mint tokens with the current private key (authentication service only).

    The key is re-read when ``oddsmith rotate-keys`` moves the pointer, so a
    running service starts signing with the new key without a restart.
    """

    def __init__(self, secrets_dir: Path, issuer: str, audience: str) -> None:
        self.secrets_dir = secrets_dir
        self.issuer = issuer
        self.audience = audience
        ensure_signing_key(secrets_dir)
        self._pointer_stamp: tuple[int, int] = (0, 0)
        self.kid = ""
        self._key: Any = None
        self._load()

    def _load(self) -> None:
        pointer = (self.secrets_dir / POINTER).stat()
        stamp = (pointer.st_ino, pointer.st_mtime_ns)
        if stamp == self._pointer_stamp:
            return
        kid = (self.secrets_dir / POINTER).read_text().strip()
        pem = (self.secrets_dir / f"{kid}.key").read_bytes()
        self._key = serialization.load_pem_private_key(pem, password=None)
        self.kid = kid
        self._pointer_stamp = stamp

    def mint(
        self, *, user_id: int, session_id: str, role: str, kind: str, lifetime: int
    ) -> tuple[str, str]:
        """Return a signed token and its id."""
        self._load()
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
    """Check tokens against the public keys in ``<secrets_dir>/public``."""

    def __init__(self, secrets_dir: Path, issuer: str, audience: str) -> None:
        self.public_dir = secrets_dir / "public"
        self.issuer = issuer
        self.audience = audience
        self._keys: dict[str, Any] = {}

    def _key(self, kid: str) -> Any:
        if not KEY_ID.match(kid):
            raise errors.Unauthorized("The token names no known key.")
        path = self.public_dir / f"{kid}.pub"
        if not path.exists():
            # A pruned key must stop working here too, not only on disk.
            self._keys.pop(kid, None)
            raise errors.Unauthorized("The token was signed by an unknown key.")
        key = self._keys.get(kid)
        if key is None:
            key = serialization.load_pem_public_key(path.read_bytes())
            if not isinstance(key, Ed25519PublicKey):
                raise errors.Unauthorized("The token was signed by an unknown key.")
            self._keys[kid] = key
        return key

    def verify(self, token: str, kind: str = ACCESS) -> Claims:
        """Return the claims of a valid token of ``kind``, or raise Unauthorized."""
        if len(token) > MAX_TOKEN_CHARS:
            raise errors.Unauthorized("The token is too long.")
        try:
            header = jwt.get_unverified_header(token)
            # Pinned before any key is chosen: "none", HS256 signed with the
            # public key and every other algorithm are refused here.
            if header.get("alg") != ALGORITHM:
                raise errors.Unauthorized("The token uses a refused algorithm.")
            payload = jwt.decode(
                token,
                self._key(str(header.get("kid", ""))),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.PyJWTError as exc:
            raise errors.Unauthorized("The token is invalid or expired.") from exc
        if payload.get("typ") != kind or not isinstance(payload.get("sid"), str):
            raise errors.Unauthorized("The token is not of the expected type.")
        if not isinstance(payload["jti"], str) or not isinstance(payload["sub"], str):
            raise errors.Unauthorized("The token's claims are malformed.")
        try:
            user_id = int(payload["sub"])
        except ValueError as exc:
            raise errors.Unauthorized("The token names no user.") from exc
        return Claims(
            user_id=user_id,
            session_id=payload["sid"],
            role=str(payload.get("role", "")),
            token_id=payload["jti"],
            expires_at=int(payload["exp"]),
        )
