"""The betting desk of one worker: the events it owns and what it does to them.

Everything here runs in the worker's single thread. Each write is one database
transaction that first checks the worker still holds the event's lease under
the same fencing number, so a worker that lost an event can change nothing.
Updates to publish are collected and sent only after the commit.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import peewee as pw

from oddsmith import db, errors, events, ledger, money, roulette
from oddsmith.markets import EventSpec
from oddsmith.pricing import Book
from oddsmith.protocol import event_topic, user_topic

log = logging.getLogger(__name__)

Publication = tuple[bytes, dict[str, Any]]


@dataclass
class OwnedEvent:
    """An event this worker holds the lease of, with its book in memory."""

    id: int
    fence: int
    row: db.Event
    spec: EventSpec
    book: Book
    outcomes_of: list[tuple[int, ...]]
    position_of: dict[int, int] = field(default_factory=dict)


class Desk:
    def __init__(self, worker_name: str) -> None:
        self.worker_name = worker_name
        self.owned: dict[int, OwnedEvent] = {}
        self.outbox: list[Publication] = []
        self.grouped = False

    # -- ownership ---------------------------------------------------------

    def load(self, event_id: int, fence: int) -> OwnedEvent | None:
        """Rebuild an event's book from the bets stored in the database."""
        row = db.Event.get_or_none(db.Event.id == event_id)
        if row is None:
            return None
        spec = events.spec_of(row)
        book = Book(spec, events.params_of(row))
        selections = list(
            db.Selection.select(db.Selection.id, db.Selection.position)
            .where(db.Selection.event == event_id)
            .tuples()
        )
        position_of = {sid: pos for sid, pos in selections}
        for selection_id, stake, odds in (
            db.Bet.select(db.Bet.selection, db.Bet.stake, db.Bet.odds)
            .where(db.Bet.event == event_id)
            .order_by(db.Bet.id)
            .tuples()
        ):
            book.add_accepted(position_of[selection_id], stake, odds)
        owned = OwnedEvent(
            id=event_id,
            fence=fence,
            row=row,
            spec=spec,
            book=book,
            outcomes_of=events.selection_outcomes(spec),
            position_of=position_of,
        )
        self.owned[event_id] = owned
        return owned

    def drop(self, event_id: int) -> None:
        self.owned.pop(event_id, None)

    def _check_fence(self, owned: OwnedEvent) -> None:
        """Refuse the write unless this worker still holds the lease."""
        held = (
            db.Lease.update(fence=db.Lease.fence)
            .where(
                (db.Lease.resource == events.resource(owned.id))
                & (db.Lease.owner == self.worker_name)
                & (db.Lease.fence == owned.fence)
                & (db.Lease.expires_at > time.time())
            )
            .execute()
        )
        if held != 1:
            raise errors.NotOwner(f"worker {self.worker_name} lost event {owned.id}")

    def _get(self, event_id: int) -> OwnedEvent:
        owned = self.owned.get(event_id)
        if owned is None:
            raise errors.NotOwner(
                f"worker {self.worker_name} does not own event {event_id}"
            )
        return owned

    def _bump(self, owned: OwnedEvent, **changes: Any) -> None:
        """Write a new version of the event and its snapshot; queue its publication."""
        row = owned.row
        for name, value in changes.items():
            setattr(row, name, value)
        row.version += 1
        row.snapshot = json.dumps(events.snapshot_markets(row, owned.spec, owned.book))
        fields = [
            db.Event.version,
            db.Event.snapshot,
            *(getattr(db.Event, n) for n in changes),
        ]
        row.save(only=fields)
        self.outbox.append(
            (event_topic(owned.id), {"type": "event", "event": events.view(row)})
        )

    def _current(self, owned: OwnedEvent, position: int) -> dict[str, Any]:
        odds = owned.book.odds()
        caps, _ = owned.book.max_stakes()
        return {
            "odds": money.format_odds(int(odds[position])),
            "max_stake": int(caps[position]),
            "version": owned.row.version,
        }

    def _publish_user(self, user_id: int, bet: dict[str, Any] | None = None) -> None:
        balance = ledger.balance_of(ledger.user_code(user_id))
        self.outbox.append(
            (user_topic(user_id), {"type": "balance", "balance": balance})
        )
        if bet is not None:
            self.outbox.append((user_topic(user_id), {"type": "bet", "bet": bet}))

    def _announce_bets(self, owned: OwnedEvent) -> None:
        """Tell each bettor of the event the new state of their bets and balance."""
        bettors: set[int] = set()
        for bet in db.Bet.select().where(db.Bet.event == owned.id):
            view = self._bet_view(owned, bet)
            self.outbox.append((user_topic(bet.user_id), {"type": "bet", "bet": view}))
            bettors.add(bet.user_id)
        for user_id in bettors:
            self._publish_user(user_id)

    def _reload(self, owned: OwnedEvent) -> None:
        """Rebuild a book after a failed write, which may have left a bet in it.

        Inside a group the rebuild reads through the group's own transaction,
        so it sees the group's earlier bets. If even that fails the event is
        dropped: its lease then lapses and it is loaded afresh.
        """
        try:
            if self.load(owned.id, owned.fence) is None:
                self.drop(owned.id)
        except pw.PeeweeException:
            self.drop(owned.id)
            raise

    def _transaction(self) -> contextlib.AbstractContextManager[None]:
        # In a group, each bet is a savepoint of the group's transaction.
        return db.database.atomic() if self.grouped else db.write_transaction()

    @contextlib.contextmanager
    def group(self) -> Iterator[None]:
        """Commit every bet placed inside the block in one transaction.

        One commit (one fsync) then covers many bets; each bet stays a
        savepoint, so a refused one leaves the others alone. Replies and
        publications must wait until the block has exited without error.
        """
        self.grouped = True
        try:
            with db.write_transaction():
                yield
        finally:
            self.grouped = False

    # -- bets ----------------------------------------------------------------

    def place_bet(self, args: dict[str, Any], request_id: str) -> dict[str, Any]:
        owned = self._get(int(args["event_id"]))
        user_id = int(args["user_id"])
        stake = int(args["stake"])
        key = str(args["idempotency_key"])
        position = owned.position_of.get(int(args["selection_id"]))
        if position is None:
            raise errors.NotFound("The event has no such selection.")

        # The same key again returns the bet it placed, never a second one.
        existing = db.Bet.get_or_none(
            (db.Bet.user == user_id) & (db.Bet.idempotency_key == key)
        )
        if existing is not None:
            if (existing.event_id, existing.selection_id, existing.stake) != (
                owned.id,
                int(args["selection_id"]),
                stake,
            ):
                raise errors.IdempotencyConflict("That key placed a different bet.")
            return {"bet": self._bet_view(owned, existing), "replayed": True}

        row = owned.row
        if row.status != "open" or (
            row.closes_at is not None and row.closes_at <= db.utcnow()
        ):
            raise errors.EventNotOpen(
                f"Betting on {row.name} is {row.status}.",
                self._current(owned, position),
            )
        if stake > ledger.balance_of(ledger.user_code(user_id)):
            raise errors.InsufficientBalance(
                "The balance does not cover the stake.", self._current(owned, position)
            )

        placement = owned.book.place(
            position,
            stake,
            money.parse_odds(args["odds"]),
            args.get("policy", "better"),
        )
        if not placement.accepted:
            current = self._current(owned, position)
            if placement.reason == "odds_changed":
                raise errors.OddsChanged(
                    f"The odds moved to {current['odds']}.", current
                )
            if placement.reason == "stake_too_small":
                raise errors.StakeTooSmall("The stake is below the minimum.", current)
            raise errors.OverMaxStake(
                f"The maximum stake is {money_text(current['max_stake'])}.", current
            )

        mark = len(self.outbox)
        try:
            with self._transaction():
                self._check_fence(owned)
                bet = db.Bet.create(
                    user=user_id,
                    event=owned.id,
                    selection=int(args["selection_id"]),
                    stake=stake,
                    odds=placement.odds,
                    idempotency_key=key,
                    request_id=request_id,
                )
                ledger.post(
                    f"stake:{bet.id}",
                    "stake",
                    [
                        (ledger.user_code(user_id), -stake),
                        (ledger.pool_code(owned.id), stake),
                    ],
                    event=owned.id,
                    bet=bet.id,
                )
                self._bump(owned)
        except Exception as exc:
            # Forget this bet's publications only: in a group, the bets before
            # it are still to be committed and announced.
            del self.outbox[mark:]
            self._reload(owned)
            if isinstance(exc, pw.IntegrityError):
                raise errors.IdempotencyConflict(
                    "That key was used for another bet."
                ) from exc
            if isinstance(exc, errors.InsufficientBalance):
                exc.current = self._current(self.owned[owned.id], position)
            raise
        view = self._bet_view(owned, bet)
        self._publish_user(user_id, view)
        log.info(
            "bet %s accepted: event %s selection %s stake %s odds %s request_id=%s",
            bet.id,
            owned.id,
            position,
            stake,
            placement.odds,
            request_id,
            extra={"request_id": request_id},
        )
        return {"bet": view, "replayed": False}

    def _bet_view(self, owned: OwnedEvent, bet: db.Bet) -> dict[str, Any]:
        position = owned.position_of[bet.selection_id]
        flat = [sel for market in owned.spec.markets for sel in market.selections]
        return events.bet_view(bet, owned.row.name, flat[position].name)

    # -- lifecycle -------------------------------------------------------------

    def transition(self, event_id: int, action: str, actor: int) -> dict[str, Any]:
        """Apply suspend, resume, close or open, if the state allows it."""
        owned = self._get(event_id)
        allowed, target = events.TRANSITIONS[action]
        if owned.row.status not in allowed:
            raise errors.InvalidTransition(
                f"Cannot {action} an event that is {owned.row.status}."
            )
        with db.write_transaction():
            self._check_fence(owned)
            self._bump(owned, status=target)
            if actor:
                db.AuditLog.create(
                    actor=actor, action=action, target=f"event:{event_id}"
                )
        return events.view(owned.row)

    def close_spin(self, event_id: int) -> None:
        """Close a roulette spin and store its pocket in the same write.

        The pocket follows from the secret committed when the spin opened. It
        is stored with the close, before anyone is told, so a closed spin
        always has its pocket: one closed without it would wait for a
        settlement that never comes.
        """
        owned = self._get(event_id)
        if owned.row.secret is None:
            raise errors.InvalidRequest(f"event {event_id} is not a roulette spin")
        pocket = roulette.pocket(owned.row.secret)
        with db.write_transaction():
            self._check_fence(owned)
            self._bump(owned, status="closed", result=pocket)

    def void(self, event_id: int, actor: int) -> dict[str, Any]:
        """Refund every stake of the event and mark its bets void."""
        owned = self._get(event_id)
        allowed, _ = events.TRANSITIONS["void"]
        if owned.row.status == "voided":
            return events.view(owned.row)
        if owned.row.status not in allowed:
            raise errors.InvalidTransition(
                f"Cannot void an event that is {owned.row.status}."
            )
        with db.write_transaction():
            self._check_fence(owned)
            for bet in db.Bet.select().where(
                (db.Bet.event == event_id) & (db.Bet.status == "open")
            ):
                ledger.post(
                    f"refund:{bet.id}",
                    "refund",
                    [
                        (ledger.pool_code(event_id), -bet.stake),
                        (ledger.user_code(bet.user_id), bet.stake),
                    ],
                    event=event_id,
                    bet=bet.id,
                )
                bet.status, bet.settled_at = "void", db.utcnow()
                bet.save(only=[db.Bet.status, db.Bet.settled_at])
            self._bump(owned, status="voided")
            db.Lease.update(active=False).where(
                db.Lease.resource == events.resource(event_id)
            ).execute()
            if actor:
                db.AuditLog.create(
                    actor=actor, action="void", target=f"event:{event_id}"
                )
        self._announce_bets(owned)
        return events.view(owned.row)

    def settle(self, event_id: int, outcome: int, actor: int) -> dict[str, Any]:
        """Pay the winners, book the house result; settling twice pays nothing."""
        owned = self._get(event_id)
        row = owned.row
        if row.status == "settled":
            if row.result == outcome:
                return events.view(row)
            raise errors.InvalidTransition(
                "The event is settled with another outcome; use a correction."
            )
        if row.status != "closed":
            raise errors.InvalidTransition(
                f"Cannot settle an event that is {row.status}."
            )
        with db.write_transaction():
            self._check_fence(owned)
            self._pay(owned, outcome, revision=row.revision)
            self._bump(owned, status="settled", result=outcome, settled_at=db.utcnow())
            db.Lease.update(active=False).where(
                db.Lease.resource == events.resource(event_id)
            ).execute()
            if actor:
                db.AuditLog.create(
                    actor=actor,
                    action="settle",
                    target=f"event:{event_id}",
                    detail=owned.spec.outcomes[outcome],
                )
        self._announce_bets(owned)
        log.info("event %s settled on %s", event_id, owned.spec.outcomes[outcome])
        return events.view(row)

    def _pay(self, owned: OwnedEvent, outcome: int, revision: int) -> None:
        """Mark bets won or lost, pay winners, move what is left to the house."""
        pool = ledger.pool_code(owned.id)
        now = db.utcnow()
        for bet in db.Bet.select().where(
            (db.Bet.event == owned.id) & (db.Bet.status == "open")
        ):
            position = owned.position_of[bet.selection_id]
            if outcome in owned.outcomes_of[position]:
                amount = money.payout(bet.stake, bet.odds)
                ledger.post(
                    f"payout:{bet.id}:{revision}",
                    "payout",
                    [(pool, -amount), (ledger.user_code(bet.user_id), amount)],
                    event=owned.id,
                    bet=bet.id,
                )
                bet.status, bet.payout = "won", amount
            else:
                bet.status, bet.payout = "lost", 0
            bet.settled_at = now
            bet.save(only=[db.Bet.status, db.Bet.payout, db.Bet.settled_at])
        remaining = ledger.balance_of(pool)
        ledger.post(
            f"house:{owned.id}:{revision}",
            "house_result",
            [(pool, -remaining), (ledger.HOUSE_CODE, remaining)],
            event=owned.id,
        )

    def correct(
        self, event_id: int, outcome: int, actor: int, reason: str
    ) -> dict[str, Any]:
        """Replace a settled outcome: reverse the old payouts, then pay the new ones.

        A winner who has already spent a payout that is now reversed cannot go
        below zero; the part they no longer hold is written off to the house.
        """
        owned = self._get(event_id)
        row = owned.row
        if row.status != "settled":
            raise errors.InvalidTransition("Only a settled event can be corrected.")
        if row.result == outcome:
            return events.view(row)
        # Read before the new version overwrites the row, for the audit log.
        previous = owned.spec.outcomes[row.result]
        revision = row.revision
        pool = ledger.pool_code(event_id)
        with db.write_transaction():
            self._check_fence(owned)
            house_before = -(
                db.Posting.select(pw.fn.SUM(db.Posting.amount))
                .join(db.Journal)
                .where(db.Journal.key == f"house:{event_id}:{revision}")
                .where(db.Posting.account == ledger.ensure_account(pool).id)
                .scalar()
                or 0
            )
            ledger.post(
                f"unhouse:{event_id}:{revision}",
                "correction",
                [(ledger.HOUSE_CODE, -house_before), (pool, house_before)],
                event=event_id,
                actor=actor,
                reason=reason,
            )
            for bet in db.Bet.select().where(db.Bet.event == event_id):
                if bet.status == "won":
                    user = ledger.user_code(bet.user_id)
                    shortfall = max(0, bet.payout - ledger.balance_of(user))
                    if shortfall:
                        ledger.post(
                            f"writeoff:{bet.id}:{revision}",
                            "write_off",
                            [(ledger.HOUSE_CODE, -shortfall), (user, shortfall)],
                            event=event_id,
                            bet=bet.id,
                            actor=actor,
                            reason=reason,
                        )
                    ledger.post(
                        f"reverse:{bet.id}:{revision}",
                        "correction",
                        [(user, -bet.payout), (pool, bet.payout)],
                        event=event_id,
                        bet=bet.id,
                        actor=actor,
                        reason=reason,
                    )
                bet.status, bet.payout = "open", 0
                bet.save(only=[db.Bet.status, db.Bet.payout])
            self._pay(owned, outcome, revision=revision + 1)
            self._bump(owned, result=outcome, revision=revision + 1)
            # Settled again: the event needs no owner until the next correction.
            db.Lease.update(active=False).where(
                db.Lease.resource == events.resource(event_id)
            ).execute()
            db.AuditLog.create(
                actor=actor,
                action="correct",
                target=f"event:{event_id}",
                detail=f"{previous} -> {owned.spec.outcomes[outcome]}: {reason}",
            )
        self._announce_bets(owned)
        return events.view(row)


def money_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def kick_off_passed(row: db.Event, now: dt.datetime) -> bool:
    return row.kind == "football" and row.closes_at is not None and row.closes_at <= now
