"""Users and their passwords (argon2id), shared by the auth service and the CLI."""

from __future__ import annotations

import peewee as pw
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from oddsmith import db, errors, ledger

# OWASP's minimum for argon2id: 19 MiB of memory, 2 passes, one lane.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the username is unknown, so both paths take as long.
_DUMMY_HASH = hasher.hash("not a real password, only for timing")


def create_user(username: str, password: str, role: str = "bettor") -> db.User:
    """Create a user with an empty account; raise UsernameTaken when the name exists."""
    password_hash = hasher.hash(password)
    try:
        with db.write_transaction():
            user = db.User.create(
                username=username, password_hash=password_hash, role=role
            )
            ledger.ensure_account(ledger.user_code(user.id), user.id)
    except pw.IntegrityError as exc:
        raise errors.UsernameTaken("Choose another username.") from exc
    return user


def check_password(username: str, password: str) -> db.User:
    """Return the user whose password this is, rehashing it when parameters rose."""
    user = db.User.get_or_none(db.User.username == username)
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError) as exc:
        raise errors.InvalidCredentials("Wrong username or password.") from exc
    if user is None:
        raise errors.InvalidCredentials("Wrong username or password.")
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hasher.hash(password)
        user.save(only=[db.User.password_hash])
    return user


def ensure_admin(username: str, password: str) -> bool:
    """Create the bootstrap administrator if missing; return whether it was created."""
    user = db.User.get_or_none(db.User.username == username)
    if user is not None:
        if user.role != "admin":
            user.role = "admin"
            user.save(only=[db.User.role])
        return False
    create_user(username, password, role="admin")
    return True


def public_user(user: db.User) -> dict[str, object]:
    return {
        "id": user.id,
        "username": user.username,
        "role": user.role,
        "balance": ledger.balance_of(ledger.user_code(user.id)),
    }
