"""The worker's desk against a real database: bets, lifecycle, settlement, audit."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator

import peewee as pw
import pytest

from oddsmith import audit, db, errors, events, ledger, money
from workers.desk import Desk

WORKER = "test-worker"


@pytest.fixture
def desk(database_url: str) -> Iterator[Desk]:
    """Yield a desk owning nothing yet, on an empty database."""
    database = db.open_database(database_url)
    yield Desk(WORKER)
    database.close()


def deposit(user_id: int, amount: int) -> None:
    with db.write_transaction():
        ledger.post(
            f"adjust:{uuid.uuid4()}",
            "adjustment",
            [(ledger.EXTERNAL_CODE, -amount), (ledger.user_code(user_id), amount)],
        )


def new_user(name: str, balance: int) -> int:
    with db.write_transaction():
        user = db.User.create(username=name, password_hash="x")
        ledger.ensure_account(ledger.user_code(user.id), user.id)
    if balance:
        deposit(user.id, balance)
    return user.id


def owned_match(desk: Desk) -> int:
    """Create an open match and give its lease to the desk."""
    with db.write_transaction():
        event = events.create_football(
            home="Home FC",
            away="Away FC",
            league="Test league",
            starts_at=db.utcnow() + dt.timedelta(days=1),
        )
    db.Lease.update(owner=WORKER, fence=1, expires_at=time.time() + 3600).where(
        db.Lease.resource == events.resource(event.id)
    ).execute()
    desk.load(event.id, 1)
    return event.id


def selection_id(event_id: int, code: str, market: str = "1x2") -> int:
    return db.Selection.get(
        (db.Selection.event == event_id)
        & (db.Selection.code == code)
        & (db.Selection.market == market)
    ).id


def bet(
    desk: Desk, user_id: int, event_id: int, code: str, stake: int, **extra: object
):
    owned = desk.owned[event_id]
    sid = selection_id(event_id, code)
    odds = owned.book.odds()[owned.position_of[sid]]
    args = {
        "user_id": user_id,
        "event_id": event_id,
        "selection_id": sid,
        "stake": stake,
        "odds": money.format_odds(int(odds)),
        "policy": "better",
        "idempotency_key": uuid.uuid4().hex,
        **extra,
    }
    return desk.place_bet(args, "test")


def assert_audit_clean() -> None:
    problems = {name: found for name, found in audit.run().items() if found}
    assert problems == {}


def test_bet_debits_balance_and_replays_by_key(desk: Desk) -> None:
    """A bet debits its stake once; the same idempotency key returns the same bet."""
    user = new_user("ann", 10_000)
    event_id = owned_match(desk)
    first = bet(desk, user, event_id, "home", 2_500, idempotency_key="key-1")
    again = bet(desk, user, event_id, "home", 2_500, idempotency_key="key-1")
    assert again["replayed"] and again["bet"]["id"] == first["bet"]["id"]
    assert ledger.balance_of(ledger.user_code(user)) == 7_500
    assert db.Bet.select().count() == 1
    with pytest.raises(errors.IdempotencyConflict):
        bet(desk, user, event_id, "draw", 1_000, idempotency_key="key-1")
    assert_audit_clean()


def test_refused_bets_change_nothing(desk: Desk) -> None:
    """Over the balance, over the maximum or on a suspended event: nothing is written."""
    user = new_user("ben", 1_000)
    event_id = owned_match(desk)
    before = (db.Bet.select().count(), db.Journal.select().count())
    version = desk.owned[event_id].row.version
    with pytest.raises(errors.InsufficientBalance):
        bet(desk, user, event_id, "home", 1_001)
    deposit(user, 10_000_000)
    cap = int(desk.owned[event_id].book.max_stakes()[0][0])
    with pytest.raises(errors.OverMaxStake):
        bet(desk, user, event_id, "home", cap + 1)
    desk.transition(event_id, "suspend", 0)
    with pytest.raises(errors.EventNotOpen):
        bet(desk, user, event_id, "home", 100)
    assert (db.Bet.select().count(), db.Journal.select().count() - 1) == before
    assert desk.owned[event_id].row.version == version + 1  # only the suspension


def test_transitions_follow_the_lifecycle(desk: Desk) -> None:
    """Each admin action is allowed from its states only, and a refused one changes nothing."""
    event_id = owned_match(desk)
    with pytest.raises(errors.InvalidTransition):
        desk.transition(event_id, "resume", 0)
    desk.transition(event_id, "suspend", 0)
    with pytest.raises(errors.InvalidTransition):
        desk.transition(event_id, "suspend", 0)
    desk.transition(event_id, "resume", 0)
    desk.transition(event_id, "close", 0)
    with pytest.raises(errors.InvalidTransition):
        desk.transition(event_id, "resume", 0)
    assert db.Event.get_by_id(event_id).status == "closed"
    desk.settle(event_id, 0, 0)
    with pytest.raises(errors.InvalidTransition):
        desk.void(event_id, 0)
    assert db.Event.get_by_id(event_id).status == "settled"


def test_settle_pays_winners_once(desk: Desk) -> None:
    """Settling pays stake times locked odds rounded down; settling again pays nothing."""
    ann, ben = new_user("ann", 50_000), new_user("ben", 50_000)
    event_id = owned_match(desk)
    won = bet(desk, ann, event_id, "home", 3_333)["bet"]
    bet(desk, ben, event_id, "away", 5_000)
    desk.transition(event_id, "close", 0)
    with pytest.raises(errors.InvalidTransition):
        desk.transition(event_id, "close", 0)
    desk.settle(event_id, 0, 0)
    payout = money.payout(3_333, money.parse_odds(won["odds"]))
    assert ledger.balance_of(ledger.user_code(ann)) == 50_000 - 3_333 + payout
    desk.settle(event_id, 0, 0)
    assert ledger.balance_of(ledger.user_code(ann)) == 50_000 - 3_333 + payout
    with pytest.raises(errors.InvalidTransition):
        desk.settle(event_id, 1, 0)
    statuses = dict(db.Bet.select(db.Bet.user, db.Bet.status).tuples())
    assert statuses == {ann: "won", ben: "lost"}
    house = ledger.balance_of(ledger.HOUSE_CODE)
    assert house == 3_333 + 5_000 - payout
    assert_audit_clean()


def test_void_refunds_every_stake(desk: Desk) -> None:
    """Voiding returns each stake and marks the bets void."""
    ann = new_user("ann", 20_000)
    event_id = owned_match(desk)
    bet(desk, ann, event_id, "home", 4_000)
    bet(desk, ann, event_id, "draw", 6_000)
    desk.void(event_id, 0)
    assert ledger.balance_of(ledger.user_code(ann)) == 20_000
    assert {b.status for b in db.Bet.select()} == {"void"}
    assert_audit_clean()


def test_correction_reverses_and_repays(desk: Desk) -> None:
    """Changing a settled outcome reverses old payouts by new entries and pays the new winners."""
    ann, ben = new_user("ann", 10_000), new_user("ben", 10_000)
    event_id = owned_match(desk)
    ann_bet = bet(desk, ann, event_id, "home", 1_000)["bet"]
    ben_bet = bet(desk, ben, event_id, "away", 1_000)["bet"]
    desk.transition(event_id, "close", 0)
    desk.settle(event_id, 0, 0)
    journals = db.Journal.select().count()
    desk.correct(event_id, 2, 1, "wrong result entered")
    assert db.Journal.select().count() > journals
    assert ledger.balance_of(ledger.user_code(ann)) == 9_000
    ben_payout = money.payout(1_000, money.parse_odds(ben_bet["odds"]))
    assert ledger.balance_of(ledger.user_code(ben)) == 9_000 + ben_payout
    assert db.Bet.get_by_id(ann_bet["id"]).status == "lost"
    assert db.Event.get_by_id(event_id).result == 2
    assert_audit_clean()


def test_lost_lease_blocks_every_write(desk: Desk) -> None:
    """Once another worker takes the lease, the desk can neither accept a bet nor settle."""
    ann = new_user("ann", 10_000)
    event_id = owned_match(desk)
    db.Lease.update(owner="other", fence=2).where(
        db.Lease.resource == events.resource(event_id)
    ).execute()
    with pytest.raises(errors.NotOwner):
        bet(desk, ann, event_id, "home", 100)
    with pytest.raises(errors.NotOwner):
        desk.transition(event_id, "close", 0)
    assert db.Bet.select().count() == 0
    assert ledger.balance_of(ledger.user_code(ann)) == 10_000


def test_guarded_debit_refuses_to_go_below_zero(desk: Desk) -> None:
    """The debit statement itself refuses an overdraft, whatever Python checked before."""
    ann = new_user("ann", 500)
    with pytest.raises(errors.InsufficientBalance), db.write_transaction():
        ledger.post(
            "manual",
            "stake",
            [(ledger.user_code(ann), -501), (ledger.pool_code(1), 501)],
        )
    assert ledger.balance_of(ledger.user_code(ann)) == 500
    # SQLite reports the CHECK constraint as an integrity error, MariaDB as 4025.
    with pytest.raises((pw.IntegrityError, pw.OperationalError)):
        db.Account.update(balance=-1).where(
            db.Account.code == ledger.user_code(ann)
        ).execute()


def test_audit_holds_after_random_operations_and_catches_edits(desk: Desk) -> None:
    """After a long random sequence the audit passes; a hand edit of a balance fails it."""
    rng = random.Random(7)
    users = [new_user(f"u{i}", rng.randrange(1_000, 200_000)) for i in range(6)]
    matches = [owned_match(desk) for _ in range(4)]
    codes = ["home", "draw", "away"]
    for _ in range(400):
        event_id = rng.choice(matches)
        status = desk.owned[event_id].row.status
        roll = rng.random()
        try:
            if roll < 0.85 and status == "open":
                bet(
                    desk,
                    rng.choice(users),
                    event_id,
                    rng.choice(codes),
                    rng.randrange(1, 20_000),
                )
            elif roll < 0.9:
                desk.transition(event_id, rng.choice(["suspend", "resume"]), 0)
            elif roll < 0.92 and status in ("open", "suspended"):
                desk.transition(event_id, "close", 0)
            elif status == "closed":
                desk.settle(event_id, rng.randrange(3), 0)
        except errors.OddsmithError:
            pass
    for event_id in matches:
        if desk.owned[event_id].row.status in ("open", "suspended"):
            desk.void(event_id, 0)
    assert db.Bet.select().count() > 50
    assert_audit_clean()

    db.Account.update(balance=db.Account.balance + 1).where(
        db.Account.code == ledger.user_code(users[0])
    ).execute()
    failed = {name for name, found in audit.run().items() if found}
    assert "balances equal their postings" in failed
    assert "money is conserved" in failed


def test_group_commits_good_bets_around_a_refused_one(desk: Desk) -> None:
    """In one group, a bet refused by the database guard leaves the others and the book intact."""
    ann, ben = new_user("ann", 10_000), new_user("ben", 500)
    event_id = owned_match(desk)
    with desk.group():
        bet(desk, ann, event_id, "home", 1_000)
        # Drain Ben's balance behind the desk's back so only the guard sees it.
        db.Account.update(balance=0).where(
            db.Account.code == ledger.user_code(ben)
        ).execute()
        with pytest.raises(errors.InsufficientBalance):
            desk.place_bet(
                {
                    "user_id": ben,
                    "event_id": event_id,
                    "selection_id": selection_id(event_id, "draw"),
                    "stake": 400,
                    "odds": "1.01",
                    "policy": "any",
                    "idempotency_key": "ben-1",
                },
                "test",
            )
        bet(desk, ann, event_id, "away", 2_000)
    assert db.Bet.select().count() == 2
    owned = desk.owned[event_id]
    assert owned.book.total_stake == 3_000
    assert ledger.balance_of(ledger.user_code(ann)) == 7_000


def test_failed_group_leaves_no_bet(desk: Desk) -> None:
    """A group whose transaction fails commits none of its bets."""
    ann = new_user("ann", 10_000)
    event_id = owned_match(desk)
    with pytest.raises(RuntimeError), desk.group():
        bet(desk, ann, event_id, "home", 1_000)
        bet(desk, ann, event_id, "draw", 1_000)
        raise RuntimeError("commit lost")
    assert db.Bet.select().count() == 0
    assert ledger.balance_of(ledger.user_code(ann)) == 10_000
