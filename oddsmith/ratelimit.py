"""Fixed-window rate limits counted in the shared database.

Every gunicorn process of every instance counts in the same table, so a limit
holds for the platform as a whole with nothing but the database the platform
already has. A window is ``seconds`` long and starts on a multiple of it; a
client may therefore send up to twice the limit across a window boundary, which
is the price of one row per (rule, subject, window).

Subjects (addresses, names, user ids) are stored as digests, so the table never
shows a username or an address at a glance. The digests are not secret: anyone
holding the database can try every IPv4 address against them.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import peewee as pw

from oddsmith import db
from oddsmith.config import Settings

log = logging.getLogger(__name__)

# One purge of expired windows per this many hits, on average.
PURGE_EVERY = 200
# An address unused for this long must earn its trust again.
KNOWN_ADDRESS_SECONDS = 90 * 24 * 3600


@dataclass(frozen=True)
class Rule:
    """At most ``limit`` hits per ``seconds`` for one subject; 0 means no limit."""

    name: str
    limit: int
    seconds: int

    @classmethod
    def parse(cls, name: str, text: str) -> Rule:
        """Read ``"<limit>/<seconds>"`` as found in the settings."""
        count, _, seconds = text.partition("/")
        try:
            rule = cls(name, int(count), int(seconds or "60"))
        except ValueError as exc:
            raise ValueError(
                f"rate limit {name}: expected N/SECONDS, got {text!r}"
            ) from exc
        if rule.limit < 0 or rule.seconds < 1:
            raise ValueError(f"rate limit {name}: {text!r} is out of range")
        return rule

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def window(self, now: float) -> int:
        return int(now) // self.seconds * self.seconds

    def retry_after(self, now: float) -> int:
        """Seconds until the current window closes."""
        return max(1, self.window(now) + self.seconds - int(now))


class RateCounter(db.Model):
    """Hits of one subject under one rule within one window."""

    key = pw.CharField(max_length=80, primary_key=True)
    hits = pw.IntegerField(default=0)
    expires_at = pw.BigIntegerField(index=True)

    class Meta:
        table_name = "rate_counter"


class KnownAddress(db.Model):
    """An address from which a user has logged in: it may still try under attack."""

    key = pw.CharField(max_length=80, primary_key=True)
    last_login = pw.BigIntegerField()

    class Meta:
        table_name = "known_address"


MODELS: tuple[type[db.Model], ...] = (RateCounter, KnownAddress)


def rules(settings: Settings) -> dict[str, Rule]:
    """Read every ``rate_<name>`` setting into a rule called ``<name>``."""
    return {
        field[5:]: Rule.parse(field[5:], getattr(settings, field))
        for field in Settings.__struct_fields__
        if field.startswith("rate_") and field != "rate_exempt_addresses"
    }


def create_tables() -> None:
    """Create this module's tables when missing (every service does it at start)."""
    database = db.database.obj
    try:
        database.create_tables(MODELS, safe=True)
    except pw.OperationalError:
        # Two processes starting at once may race to create a table.
        log.debug("rate limit tables created by another process")


@contextlib.contextmanager
def _counting_transaction() -> Iterator[None]:
    """Open a write transaction whose commit need not reach the disk at once.

    Counters need no durability: a power cut that loses the last moments of
    hits only forgives a few requests. On SQLite the commit then skips its
    fsync (WAL with synchronous=NORMAL); the next durable commit on the file,
    such as a bet's, syncs these pages with its own. MariaDB's durability is
    a server-wide setting, so there the counters commit like anything else.
    """
    database = db.database.obj
    if not isinstance(database, pw.SqliteDatabase):
        with db.write_transaction():
            yield
        return
    database.execute_sql("PRAGMA synchronous=NORMAL")
    try:
        with db.write_transaction():
            yield
    finally:
        database.execute_sql("PRAGMA synchronous=FULL")


def _digest(*parts: object) -> str:
    raw = "\x1f".join(str(part) for part in parts).encode()
    return hashlib.blake2b(raw, digest_size=16, person=b"oddsmith-rate").hexdigest()


def _bump(key: str, expires_at: int) -> int:
    """Add one hit to ``key`` and return the total; call inside a transaction."""
    insert = RateCounter.insert(key=key, hits=1, expires_at=expires_at)
    if isinstance(db.database.obj, pw.MySQLDatabase):
        insert = insert.on_conflict(update={RateCounter.hits: RateCounter.hits + 1})
    else:
        insert = insert.on_conflict(
            conflict_target=[RateCounter.key],
            update={RateCounter.hits: RateCounter.hits + 1},
        )
    insert.execute()
    return int(
        RateCounter.select(RateCounter.hits).where(RateCounter.key == key).scalar()
    )


@dataclass(frozen=True)
class Refusal:
    """A rule that refused a hit, and when its window closes."""

    rule: Rule
    retry_after: int
    # True for the first refused hit of the window, which is worth an audit line.
    first: bool


def hit(checks: list[tuple[Rule, object]], now: float | None = None) -> Refusal | None:
    """Count one hit for each (rule, subject); return the first rule now exceeded.

    The hit is counted even when refused, so a client that keeps hammering
    stays refused until it pauses for a whole window.
    """
    now = time.time() if now is None else now
    active = [(rule, subject) for rule, subject in checks if rule.enabled]
    if not active:
        return None
    refusal: Refusal | None = None
    with _counting_transaction():
        for rule, subject in active:
            window = rule.window(now)
            key = f"{rule.name}:{_digest(rule.name, subject)}:{window}"
            total = _bump(key, window + rule.seconds)
            if total > rule.limit and refusal is None:
                refusal = Refusal(
                    rule, rule.retry_after(now), first=total == rule.limit + 1
                )
    if random.randrange(PURGE_EVERY) == 0:
        purge(now)
    return refusal


def count(rule: Rule, subject: object, now: float | None = None) -> int:
    """Return the hits of ``subject`` in the current window without adding one."""
    now = time.time() if now is None else now
    key = f"{rule.name}:{_digest(rule.name, subject)}:{rule.window(now)}"
    hits = RateCounter.select(RateCounter.hits).where(RateCounter.key == key).scalar()
    return int(hits or 0)


def purge(now: float | None = None) -> int:
    """Delete closed windows and stale known addresses; return the rows deleted."""
    now = time.time() if now is None else now
    gone = RateCounter.delete().where(RateCounter.expires_at < now).execute()
    gone += (
        KnownAddress.delete()
        .where(KnownAddress.last_login < now - KNOWN_ADDRESS_SECONDS)
        .execute()
    )
    return int(gone)


def remember_address(user_id: int, address: str, now: float | None = None) -> None:
    """Record that ``user_id`` logged in from ``address``."""
    now = time.time() if now is None else now
    key = _digest("known", user_id, address)
    insert = KnownAddress.insert(key=key, last_login=int(now))
    if isinstance(db.database.obj, pw.MySQLDatabase):
        insert = insert.on_conflict(update={KnownAddress.last_login: int(now)})
    else:
        insert = insert.on_conflict(
            conflict_target=[KnownAddress.key],
            update={KnownAddress.last_login: int(now)},
        )
    insert.execute()


def is_known_address(user_id: int, address: str, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    key = _digest("known", user_id, address)
    return (
        KnownAddress.select()
        .where(
            (KnownAddress.key == key)
            & (KnownAddress.last_login >= now - KNOWN_ADDRESS_SECONDS)
        )
        .exists()
    )
