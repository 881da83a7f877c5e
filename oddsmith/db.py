"""The data model, shared by every process, and how to connect to it.

SQLite is the embedded default; MySQL/MariaDB is used when the database URL
says so. Tables are created on connect, so a new database needs no setup step.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import peewee as pw
from playhouse.db_url import connect as connect_url
from pymysql.constants import CLIENT

log = logging.getLogger(__name__)

database = pw.DatabaseProxy()

# Account kinds. Only user accounts must never go below zero; the external
# account is the other side of every deposit and therefore negative.
USER, POOL, HOUSE, EXTERNAL = "user", "pool", "house", "external"

EVENT_KINDS = ("football", "roulette")
EVENT_STATES = ("scheduled", "open", "suspended", "closed", "settled", "voided")
BET_STATES = ("open", "won", "lost", "void")


def utcnow() -> dt.datetime:
    """Return the current UTC time without tzinfo, as the database stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def isoformat(value: dt.datetime | None) -> str | None:
    return None if value is None else value.strftime("%Y-%m-%dT%H:%M:%SZ")


class Model(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class User(Model):
    username = pw.CharField(max_length=32, unique=True)
    password_hash = pw.CharField(max_length=255)
    role = pw.CharField(max_length=16, default="bettor")
    created_at = pw.DateTimeField(default=utcnow)


class Account(Model):
    code = pw.CharField(max_length=64, unique=True)
    kind = pw.CharField(max_length=16)
    user = pw.ForeignKeyField(User, null=True, unique=True, backref="accounts")
    balance = pw.BigIntegerField(default=0)

    class Meta:
        constraints = [pw.Check("kind <> 'user' OR balance >= 0")]  # noqa: RUF012


class Session(Model):
    """One login: its refresh tokens form a family revoked together."""

    id = pw.CharField(max_length=36, primary_key=True)
    user = pw.ForeignKeyField(User, backref="sessions")
    refresh_jti = pw.CharField(max_length=36)
    revoked = pw.BooleanField(default=False)
    created_at = pw.DateTimeField(default=utcnow)
    expires_at = pw.DateTimeField()


class RouletteTable(Model):
    name = pw.CharField(max_length=64)
    status = pw.CharField(max_length=16, default="running")
    betting_seconds = pw.IntegerField(default=20)
    pause_seconds = pw.IntegerField(default=5)
    created_at = pw.DateTimeField(default=utcnow)


class Event(Model):
    kind = pw.CharField(max_length=16)
    name = pw.CharField(max_length=200)
    league = pw.CharField(max_length=100, default="")
    starts_at = pw.DateTimeField(null=True)
    closes_at = pw.DateTimeField(null=True)
    status = pw.CharField(max_length=16, default="open")
    version = pw.IntegerField(default=1)
    # The markets and selections (oddsmith.markets.EventSpec as JSON).
    spec = pw.TextField()
    # Pricing parameters and the latest public snapshot of odds and caps.
    params = pw.TextField()
    snapshot = pw.TextField(default="")
    result = pw.IntegerField(null=True)
    # Correction count: every correction of a result posts under a new key.
    revision = pw.IntegerField(default=0)
    external_ref = pw.CharField(max_length=120, null=True, unique=True)
    # Roulette spins: the table, the commitment published before betting
    # closes, and the secret kept hidden until the draw.
    table = pw.ForeignKeyField(RouletteTable, null=True, backref="spins")
    spin_number = pw.IntegerField(null=True)
    commitment = pw.CharField(max_length=64, null=True)
    secret = pw.CharField(max_length=64, null=True)
    created_at = pw.DateTimeField(default=utcnow)
    settled_at = pw.DateTimeField(null=True)


class Selection(Model):
    event = pw.ForeignKeyField(Event, backref="selections", on_delete="CASCADE")
    position = pw.IntegerField()
    market = pw.CharField(max_length=32)
    code = pw.CharField(max_length=32)
    name = pw.CharField(max_length=100)

    class Meta:
        indexes = ((("event", "position"), True),)


class Bet(Model):
    user = pw.ForeignKeyField(User, backref="bets")
    event = pw.ForeignKeyField(Event, backref="bets")
    selection = pw.ForeignKeyField(Selection)
    stake = pw.BigIntegerField()
    odds = pw.IntegerField()
    status = pw.CharField(max_length=8, default="open")
    payout = pw.BigIntegerField(default=0)
    idempotency_key = pw.CharField(max_length=64)
    request_id = pw.CharField(max_length=64, default="")
    placed_at = pw.DateTimeField(default=utcnow)
    settled_at = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("user", "idempotency_key"), True),)


class Journal(Model):
    """One balanced movement of money; ``key`` names its cause, once."""

    key = pw.CharField(max_length=100, unique=True)
    kind = pw.CharField(max_length=24)
    event = pw.ForeignKeyField(Event, null=True, backref="journals")
    bet = pw.ForeignKeyField(Bet, null=True, backref="journals")
    actor = pw.ForeignKeyField(User, null=True)
    reason = pw.CharField(max_length=200, default="")
    created_at = pw.DateTimeField(default=utcnow)


class Posting(Model):
    journal = pw.ForeignKeyField(Journal, backref="postings")
    account = pw.ForeignKeyField(Account, backref="postings")
    amount = pw.BigIntegerField()
    balance_after = pw.BigIntegerField()


class Lease(Model):
    """Who owns a resource (``event:12``, ``table:3``) and under which fence."""

    resource = pw.CharField(max_length=40, primary_key=True)
    owner = pw.CharField(max_length=64, null=True)
    fence = pw.BigIntegerField(default=0)
    expires_at = pw.DoubleField(default=0.0)
    # False once the resource needs no owner (settled, voided, stopped).
    active = pw.BooleanField(default=True, index=True)


class Worker(Model):
    name = pw.CharField(max_length=64, primary_key=True)
    endpoint = pw.CharField(max_length=100)
    last_seen = pw.DoubleField()


class AuditLog(Model):
    actor = pw.ForeignKeyField(User, null=True)
    action = pw.CharField(max_length=40)
    target = pw.CharField(max_length=100, default="")
    detail = pw.TextField(default="")
    created_at = pw.DateTimeField(default=utcnow)


MODELS: tuple[type[Model], ...] = (
    User,
    Account,
    Session,
    RouletteTable,
    Event,
    Selection,
    Bet,
    Journal,
    Posting,
    Lease,
    Worker,
    AuditLog,
)


def open_database(url: str, create: bool = True) -> pw.Database:
    """Connect the shared model to ``url`` and create missing tables."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        Path(parsed.path).parent.mkdir(parents=True, exist_ok=True)
        db = pw.SqliteDatabase(
            parsed.path,
            pragmas={
                "journal_mode": "wal",
                # FULL keeps every commit across a power cut, as money needs.
                "synchronous": "full",
                "foreign_keys": 1,
                "busy_timeout": 15000,
            },
            timeout=15,
        )
    else:
        # FOUND_ROWS makes an UPDATE report the rows it matched, not only the
        # rows it changed, as the fencing and balance guards rely on.
        db = connect_url(url, charset="utf8mb4", client_flag=CLIENT.FOUND_ROWS)
    database.initialize(db)
    db.connect(reuse_if_open=True)
    if create:
        with contextlib.suppress(pw.OperationalError):
            # Two processes starting at once may race to create a table.
            db.create_tables(MODELS, safe=True)
    return db


@contextlib.contextmanager
def write_transaction() -> Iterator[None]:
    """Run a transaction that writes, taking SQLite's write lock up front.

    SQLite refuses to upgrade a read transaction to a write one while another
    process writes; taking the lock at BEGIN makes the caller wait instead.
    """
    db = database.obj
    if isinstance(db, pw.SqliteDatabase):
        with db.atomic("IMMEDIATE"):
            yield
    else:
        with db.atomic():
            yield


def drop_all(db: pw.Database) -> None:
    """Drop every table of the model (tests use it to reset MariaDB)."""
    db.drop_tables(MODELS, safe=True)
