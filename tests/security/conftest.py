"""Fixtures of the security suite: a database in-process, and running platforms.

The attack and abuse modules share one platform per database kind (two API
instances, two relays, small rate limits for every address but loopback); the
fuzzing module runs its own, since what it creates would disturb the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oddsmith import db, ratelimit
from tests.conftest import mysql_url_or_skip
from tests.harness import Platform, running


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[None]:
    """Open an empty SQLite database with every table, the rate limits' included."""
    db.open_database(f"sqlite:///{tmp_path / 'security.db'}")
    ratelimit.create_tables()
    try:
        yield
    finally:
        db.database.close()


def platform_url(kind: str, directory: Path) -> str:
    """Return an empty database of ``kind`` for a platform about to start."""
    if kind == "sqlite":
        return f"sqlite:///{directory / 'oddsmith.db'}"
    url = mysql_url_or_skip()
    # The shared drop leaves this suite's own tables; they must start empty too.
    database = db.open_database(url, create=False)
    database.drop_tables(ratelimit.MODELS, safe=True)
    database.close()
    return url


@pytest.fixture(
    scope="module",
    params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)],
)
def module_platform_kind(request: pytest.FixtureRequest) -> str:
    """Name the database kind a module's platform runs on (SQLite, then MariaDB)."""
    return str(request.param)


def start_platform(
    tmp_path_factory: pytest.TempPathFactory, kind: str, **settings: str
) -> Iterator[Platform]:
    """Run one platform for a whole module; tests share it, so they stay independent."""
    directory = tmp_path_factory.mktemp(f"platform-{kind}")
    with running(directory, platform_url(kind, directory), **settings) as platform:
        yield platform


def snapshot(url: str) -> dict[str, Any]:
    """Return every piece of state a refused request must leave unchanged.

    Row counts of each table, every balance and every session's revocation.
    Worker heartbeats, leases, the audit log and rate counters are left out:
    they change on their own or are meant to record refusals.
    """
    db.open_database(url, create=False)
    try:
        counted = (
            db.User,
            db.Account,
            db.Session,
            db.RouletteTable,
            db.Event,
            db.Selection,
            db.Bet,
            db.Journal,
            db.Posting,
        )
        state: dict[str, Any] = {
            model.__name__: model.select().count() for model in counted
        }
        state["balances"] = sorted(
            db.Account.select(db.Account.code, db.Account.balance).tuples()
        )
        state["sessions"] = sorted(
            db.Session.select(db.Session.id, db.Session.revoked).tuples()
        )
        state["roles"] = sorted(db.User.select(db.User.id, db.User.role).tuples())
        state["events"] = sorted(
            db.Event.select(db.Event.id, db.Event.status, db.Event.version).tuples()
        )
        return state
    finally:
        db.database.close()


def audit_actions(url: str, since_id: int = 0) -> list[tuple[int, str, str, str]]:
    """Return the audit log's (id, action, target, detail) after ``since_id``."""
    db.open_database(url, create=False)
    try:
        return list(
            db.AuditLog.select(
                db.AuditLog.id,
                db.AuditLog.action,
                db.AuditLog.target,
                db.AuditLog.detail,
            )
            .where(db.AuditLog.id > since_id)
            .order_by(db.AuditLog.id)
            .tuples()
        )
    finally:
        db.database.close()


# Small limits with hour-long windows, so no test straddles a window. Loopback
# stays exempt (the default): requests through nginx are never throttled, and
# a test that wants a limit speaks for a documentation address (RFC 5737)
# through X-Real-IP, straight to a service, which trusts it from loopback.
WINDOW = 3600
LIMITS = {
    "rate_login_address": f"8/{WINDOW}",
    "rate_login_failures": f"3/{WINDOW}",
    "rate_login_failures_account": f"6/{WINDOW}",
    "rate_register_address": f"3/{WINDOW}",
    "rate_bets_user": f"5/{WINDOW}",
    "rate_bets_address": f"8/{WINDOW}",
}


@pytest.fixture(
    scope="package",
    params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mariadb)],
)
def platform(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    """Run the platform the attack and abuse modules share."""
    yield from start_platform(
        tmp_path_factory,
        str(request.param),
        api_instances="2",
        relay_instances="2",
        **LIMITS,
    )
