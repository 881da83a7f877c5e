"""Passwords: argon2id at OWASP's cost or more, upgraded at login, no enumeration."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator

import pytest
from argon2 import extract_parameters

from oddsmith import accounts, db, errors

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("sqlite_db")]

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def default_cost() -> Iterator[None]:
    """Put the hashing cost back to the minimum after each test."""
    yield
    accounts.configure(
        accounts.MIN_MEMORY_KIB, accounts.MIN_TIME_COST, accounts.MIN_PARALLELISM
    )


def test_hashes_are_argon2id_at_owasp_minimum_or_above() -> None:
    """A new password is hashed with argon2id, 19 MiB, 2 passes, 1 lane."""
    user = accounts.create_user("alice", PASSWORD)
    params = extract_parameters(user.password_hash)
    assert user.password_hash.startswith("$argon2id$")
    assert params.memory_cost >= 19 * 1024
    assert params.time_cost >= 2
    assert params.parallelism == 1


@pytest.mark.parametrize(
    ("memory", "passes", "lanes"),
    [(19 * 1024 - 1, 2, 1), (19 * 1024, 1, 2), (19 * 1024, 2, 0)],
)
def test_a_cost_below_the_minimum_is_refused(
    memory: int, passes: int, lanes: int
) -> None:
    """Configuring argon2id below OWASP's minimum fails at start."""
    with pytest.raises(ValueError, match="OWASP"):
        accounts.configure(memory, passes, lanes)


def test_login_rehashes_when_the_cost_rose() -> None:
    """After the cost rises, the next login stores a hash at the new cost."""
    accounts.create_user("bob", PASSWORD)
    accounts.configure(accounts.MIN_MEMORY_KIB * 2, 3, 1)
    accounts.check_password("bob", PASSWORD)
    stored = db.User.get(db.User.username == "bob").password_hash
    params = extract_parameters(stored)
    assert (params.memory_cost, params.time_cost) == (accounts.MIN_MEMORY_KIB * 2, 3)
    # The upgraded hash still accepts the password, and only it.
    accounts.check_password("bob", PASSWORD)
    with pytest.raises(errors.InvalidCredentials):
        accounts.check_password("bob", PASSWORD + "!")


def test_unknown_names_and_wrong_passwords_fail_alike() -> None:
    """An unknown name and a wrong password give the same error and detail."""
    accounts.create_user("carol", PASSWORD)
    with pytest.raises(errors.InvalidCredentials) as unknown:
        accounts.check_password("nobody-here", PASSWORD)
    with pytest.raises(errors.InvalidCredentials) as wrong:
        accounts.check_password("carol", "not the password")
    assert unknown.value.to_problem() == wrong.value.to_problem()


def test_login_takes_as_long_for_an_unknown_name() -> None:
    """Median times of failed logins for a real and an unknown name stay close."""
    accounts.create_user("dave", PASSWORD)
    times: dict[str, list[float]] = {"dave": [], "nobody-at-all": []}
    # Interleaved, so a busy machine slows both names alike.
    for _ in range(15):
        for username, samples in times.items():
            started = time.perf_counter()
            with pytest.raises(errors.InvalidCredentials):
                accounts.check_password(username, "wrong password!")
            samples.append(time.perf_counter() - started)
    known, unknown = (statistics.median(samples) for samples in times.values())
    # Both spend one argon2id verification. Skipping it for an unknown name
    # would make that path a hundred times faster, far outside this band.
    assert 0.5 < unknown / known < 2.0, (known, unknown)


def test_names_differing_only_in_case_are_one_name() -> None:
    """Registering "Erin" after "erin" is refused on SQLite as on MariaDB."""
    accounts.create_user("erin", PASSWORD)
    with pytest.raises(errors.UsernameTaken):
        accounts.create_user("Erin", PASSWORD)


def test_passwords_compare_after_unicode_normalisation() -> None:
    """A passphrase typed in full-width characters matches its plain form (NFKC)."""
    accounts.create_user("frank", "ｃｏｒｒｅｃｔ horse battery")
    assert accounts.check_password("frank", "correct horse battery").username == "frank"


def test_the_admin_role_comes_only_from_the_bootstrap_and_is_audited() -> None:
    """The bootstrap creates or promotes the administrator and audits the grant."""
    assert accounts.ensure_admin("root", PASSWORD)
    accounts.create_user("grace", PASSWORD)
    assert db.User.get(db.User.username == "grace").role == "bettor"
    accounts.ensure_admin("grace", "ignored password")
    assert db.User.get(db.User.username == "grace").role == "admin"
    grants = [
        (row.action, row.target)
        for row in db.AuditLog.select().order_by(db.AuditLog.id)
    ]
    assert [action for action, _ in grants] == ["grant_admin", "grant_admin"]
