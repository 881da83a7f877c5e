"""Token signing and verification refuse every forgery the attack list names."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat
import time
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from oddsmith import errors, tokens
from oddsmith.config import load_settings

pytestmark = pytest.mark.timeout(60)

ISSUER = AUDIENCE = "oddsmith"


@pytest.fixture
def keys(tmp_path: Path) -> Path:
    secrets = tmp_path / "secrets"
    tokens.ensure_signing_key(secrets)
    return secrets


def _signer(keys: Path) -> tokens.Signer:
    return tokens.Signer(keys, ISSUER, AUDIENCE)


def _verifier(keys: Path) -> tokens.Verifier:
    return tokens.Verifier(keys, ISSUER, AUDIENCE)


def _mint(keys: Path, kind: str = tokens.ACCESS, lifetime: int = 60) -> str:
    token, _ = _signer(keys).mint(
        user_id=7, session_id="s-1", role="bettor", kind=kind, lifetime=lifetime
    )
    return token


def _private_key(keys: Path) -> Ed25519PrivateKey:
    kid = (keys / "signing-key").read_text().strip()
    key = serialization.load_pem_private_key(
        (keys / f"{kid}.key").read_bytes(), password=None
    )
    assert isinstance(key, Ed25519PrivateKey)
    return key


def _claims(**changes: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "sub": "7",
        "sid": "s-1",
        "role": "bettor",
        "typ": "access",
        "jti": "j-1",
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "iss": ISSUER,
        "aud": AUDIENCE,
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(keys: Path, claims: dict[str, object], kid: str | None = None) -> str:
    kid = kid or (keys / "signing-key").read_text().strip()
    return jwt.encode(claims, _private_key(keys), "EdDSA", headers={"kid": kid})


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _refused(keys: Path, token: str, kind: str = tokens.ACCESS) -> None:
    with pytest.raises(errors.Unauthorized):
        _verifier(keys).verify(token, kind)


def test_a_token_minted_by_the_signer_verifies(keys: Path) -> None:
    """A fresh access token carries its user, session and role."""
    claims = _verifier(keys).verify(_mint(keys))
    assert (claims.user_id, claims.session_id, claims.role) == (7, "s-1", "bettor")


def test_alg_none_is_refused(keys: Path) -> None:
    """An unsigned token (alg none) is refused even with valid claims."""
    kid = (keys / "signing-key").read_text().strip()
    token = f"{_b64({'alg': 'none', 'typ': 'JWT', 'kid': kid})}.{_b64(_claims())}."
    _refused(keys, token)


def test_hs256_signed_with_the_public_key_is_refused(keys: Path) -> None:
    """HS256 keyed with the public key's bytes (algorithm confusion) is refused."""
    kid = (keys / "signing-key").read_text().strip()
    public = (keys / "public" / f"{kid}.pub").read_bytes()
    header = _b64({"alg": "HS256", "typ": "JWT", "kid": kid})
    payload = _b64(_claims(role="admin"))
    signature = hmac.new(public, f"{header}.{payload}".encode(), hashlib.sha256)
    tail = base64.urlsafe_b64encode(signature.digest()).rstrip(b"=").decode()
    _refused(keys, f"{header}.{payload}.{tail}")


def test_a_tampered_payload_is_refused(keys: Path) -> None:
    """Changing the payload of a signed token (role to admin) breaks its signature."""
    header, _, signature = _mint(keys).split(".")
    forged = f"{header}.{_b64(_claims(role='admin', sub='1'))}.{signature}"
    _refused(keys, forged)


def test_a_key_outside_the_directory_is_refused(keys: Path, tmp_path: Path) -> None:
    """A token signed by an attacker's own Ed25519 key is refused."""
    attacker = Ed25519PrivateKey.generate()
    kid = (keys / "signing-key").read_text().strip()
    token = jwt.encode(_claims(role="admin"), attacker, "EdDSA", headers={"kid": kid})
    _refused(keys, token)


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("expired", {"exp": int(time.time()) - 60, "iat": int(time.time()) - 120}),
        ("not yet valid", {"nbf": int(time.time()) + 600}),
        ("issued in the future", {"iat": int(time.time()) + 600}),
        ("wrong audience", {"aud": "someone-else"}),
        ("audience list", {"aud": ["someone-else", AUDIENCE]}),
        ("wrong issuer", {"iss": "evil"}),
        ("no exp", {"exp": None}),
        ("no iat", {"iat": None}),
        ("no nbf", {"nbf": None}),
        ("no iss", {"iss": None}),
        ("no aud", {"aud": None}),
        ("no sub", {"sub": None}),
        ("no jti", {"jti": None}),
        ("no session", {"sid": None}),
        ("refresh used as access", {"typ": "refresh"}),
        ("sub not a user id", {"sub": "admin"}),
    ],
)
def test_bad_claims_are_refused(
    keys: Path, name: str, changes: dict[str, object]
) -> None:
    """A correctly signed token with a bad or missing claim is refused."""
    _refused(keys, _sign(keys, _claims(**changes)))


@pytest.mark.parametrize(
    "kid", ["", "0123456789abcdef", "../../etc/passwd", "ＡＢＣ", "A" * 16]
)
def test_unknown_or_malformed_key_ids_are_refused(keys: Path, kid: str) -> None:
    """A key id that names no public key, or no key at all, is refused."""
    _refused(keys, _sign(keys, _claims(), kid=kid or "x"))
    if not kid:
        token = jwt.encode(_claims(), _private_key(keys), "EdDSA")
        _refused(keys, token)


def test_expiry_is_told_apart_from_forgery(keys: Path) -> None:
    """An expired token is reported as expiry; a forged one is not."""
    expired = _sign(keys, _claims(exp=int(time.time()) - 60, iat=1))
    with pytest.raises(errors.Unauthorized) as caught:
        _verifier(keys).verify(expired)
    assert tokens.is_expiry(caught.value)
    with pytest.raises(errors.Unauthorized) as caught:
        _verifier(keys).verify(expired[:-4] + "AAAA")
    assert not tokens.is_expiry(caught.value)


def test_oversized_tokens_are_refused_before_parsing(keys: Path) -> None:
    """A token longer than 4096 characters is refused outright."""
    _refused(keys, "a" * 5000)


def test_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
    keys: Path,
) -> None:
    """After a rotation old tokens still verify and a running signer moves on."""
    signer = _signer(keys)
    old, _ = signer.mint(
        user_id=7, session_id="s", role="bettor", kind=tokens.ACCESS, lifetime=60
    )
    old_kid = signer.kid
    new_kid = tokens.ensure_signing_key(keys, rotate=True)
    assert new_kid != old_kid
    fresh, _ = signer.mint(
        user_id=7, session_id="s", role="bettor", kind=tokens.ACCESS, lifetime=60
    )
    verifier = _verifier(keys)
    assert jwt.get_unverified_header(fresh)["kid"] == new_kid
    assert verifier.verify(old).user_id == verifier.verify(fresh).user_id == 7


def test_pruning_removes_only_keys_whose_tokens_all_expired(keys: Path) -> None:
    """A retired key is pruned after the token lifetime, never the current one."""
    first = (keys / "signing-key").read_text().strip()
    second = tokens.ensure_signing_key(keys, rotate=True)
    # Within the lifetime nothing goes; after it, only the retired key.
    assert tokens.prune_keys(keys, token_lifetime=3600) == []
    later = time.time() + 3600 + 60
    assert tokens.prune_keys(keys, token_lifetime=3600, now=later) == [first]
    assert not (keys / "public" / f"{first}.pub").exists()
    assert not (keys / f"{first}.key").exists()
    assert (keys / "public" / f"{second}.pub").exists()


def test_a_pruned_key_stops_verifying_in_a_running_verifier(keys: Path) -> None:
    """A verifier that cached a key refuses its tokens once the key is pruned."""
    token = _mint(keys)
    verifier = _verifier(keys)
    verifier.verify(token)
    old = (keys / "signing-key").read_text().strip()
    tokens.ensure_signing_key(keys, rotate=True)
    tokens.prune_keys(keys, token_lifetime=0, now=time.time() + 60)
    assert not (keys / "public" / f"{old}.pub").exists()
    with pytest.raises(errors.Unauthorized):
        verifier.verify(token)


def test_secrets_are_private_on_disk(tmp_path: Path) -> None:
    """The key directory is 0700, key files 0600, and git is told to ignore them."""
    old_umask = os.umask(0o022)
    try:
        secrets = tmp_path / "secrets"
        kid = tokens.ensure_signing_key(secrets)
    finally:
        os.umask(old_umask)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(secrets) == 0o700
    assert mode(secrets / "public") == 0o700
    assert mode(secrets / f"{kid}.key") == 0o600
    assert mode(secrets / "public" / f"{kid}.pub") == 0o600
    assert mode(secrets / "signing-key") == 0o600
    assert (secrets / ".gitignore").read_text() == "*\n"


def test_a_loosened_key_file_is_tightened_at_start(keys: Path) -> None:
    """A private key someone made world-readable is set back to 0600 at start."""
    kid = (keys / "signing-key").read_text().strip()
    os.chmod(keys / f"{kid}.key", 0o644)
    os.chmod(keys, 0o755)
    tokens.ensure_signing_key(keys)
    assert stat.S_IMODE((keys / f"{kid}.key").stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700


def test_production_reads_keys_from_the_configured_directory(tmp_path: Path) -> None:
    """ODDSMITH_SECRETS_DIR moves the keys out of the data directory."""
    keys = tmp_path / "provisioned"
    settings = load_settings(
        {"ODDSMITH_SECRETS_DIR": str(keys), "ODDSMITH_DATA_DIR": str(tmp_path / "d")}
    )
    assert settings.secrets_path == keys.resolve()
    default = load_settings({"ODDSMITH_DATA_DIR": str(tmp_path / "d")})
    assert default.secrets_path == (tmp_path / "d" / "secrets").resolve()
