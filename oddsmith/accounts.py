"""Users and their passwords (argon2id), shared by the auth service and the CLI.

Passwords obey length rules only (NIST SP 800-63B): 10 to 128 characters,
compared after NFKC normalisation so the same passphrase typed on two
keyboards matches. Login takes as long for an unknown name as for a wrong
password, so its timing tells nothing about who has an account.
"""

from __future__ import annotations

import logging
import unicodedata

import peewee as pw
from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from oddsmith import db, errors, ledger

log = logging.getLogger(__name__)

# OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, one lane.
MIN_MEMORY_KIB = 19 * 1024
MIN_TIME_COST = 2
MIN_PARALLELISM = 1

hasher = PasswordHasher(
    time_cost=MIN_TIME_COST,
    memory_cost=MIN_MEMORY_KIB,
    parallelism=MIN_PARALLELISM,
    type=Type.ID,
)
# Verified against when the username is unknown, so both paths take as long.
_dummy_hash = hasher.hash("not a real password, only for timing")


def configure(memory_kib: int, time_cost: int, parallelism: int) -> None:
    """Set the argon2id cost; refuse anything below OWASP's minimum."""
    global hasher, _dummy_hash
    if (
        memory_kib < MIN_MEMORY_KIB
        or time_cost < MIN_TIME_COST
        or parallelism < MIN_PARALLELISM
    ):
        raise ValueError(
            "argon2id cost below OWASP's minimum "
            f"({MIN_MEMORY_KIB} KiB, {MIN_TIME_COST} passes, 1 lane)"
        )
    hasher = PasswordHasher(
        time_cost=time_cost,
        memory_cost=memory_kib,
        parallelism=parallelism,
        type=Type.ID,
    )
    # The decoy must cost what a real hash costs, or timing tells them apart.
    _dummy_hash = hasher.hash("not a real password, only for timing")


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def hash_password(password: str) -> str:
    return hasher.hash(_normalise(password))


def create_user(username: str, password: str, role: str = "bettor") -> db.User:
    """Create a user with an empty account; raise UsernameTaken when the name exists.

    Names differing only in case count as the same name, on every database:
    MariaDB's collation already says so, SQLite's index does not.
    """
    # Hash first: a taken name then costs as long as a free one.
    password_hash = hash_password(password)
    try:
        with db.write_transaction():
            clash = db.User.select().where(
                pw.fn.LOWER(db.User.username) == username.lower()
            )
            if clash.exists():
                raise errors.UsernameTaken("Choose another username.")
            user = db.User.create(
                username=username, password_hash=password_hash, role=role
            )
            ledger.ensure_account(ledger.user_code(user.id), user.id)
    except pw.IntegrityError as exc:
        raise errors.UsernameTaken("Choose another username.") from exc
    return user


def find_user(username: str) -> db.User | None:
    return db.User.get_or_none(db.User.username == username)


def check_password(username: str, password: str) -> db.User:
    """Return the user whose password this is, rehashing it when parameters rose."""
    user = find_user(username)
    candidate = _normalise(password)
    try:
        hasher.verify(user.password_hash if user else _dummy_hash, candidate)
    except (VerificationError, InvalidHashError) as exc:
        raise errors.InvalidCredentials("Wrong username or password.") from exc
    if user is None:
        raise errors.InvalidCredentials("Wrong username or password.")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(candidate)
        user.save(only=[db.User.password_hash])
        log.info("rehashed the password of user %s with the current cost", user.id)
    return user


def ensure_admin(username: str, password: str) -> bool:
    """Create the bootstrap administrator if missing; return whether it was created.

    This and an administrator are the only ways to the admin role; both leave an
    audit entry.
    """
    user = find_user(username)
    if user is not None:
        if user.role != "admin":
            user.role = "admin"
            user.save(only=[db.User.role])
            db.AuditLog.create(
                actor=None,
                action="grant_admin",
                target=f"user:{user.id}",
                detail="bootstrap: named by ODDSMITH_ADMIN_USER",
            )
        return False
    user = create_user(username, password, role="admin")
    db.AuditLog.create(
        actor=None,
        action="grant_admin",
        target=f"user:{user.id}",
        detail="bootstrap: created at first start",
    )
    return True


def public_user(user: db.User) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "balance": ledger.balance_of(ledger.user_code(user.id)),
    }
