"""The worker process: owns events through leases, answers requests, runs tables.

One thread does everything: it polls its ROUTER socket for requests from the
broker, and every half second renews its leases, claims unowned events up to
its fair share, closes football events at kick-off and drives roulette tables.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import os
import signal
import socket as pysocket
import time
from collections.abc import Callable
from typing import Any

import peewee as pw
import zmq

from oddsmith import db, errors, events, metrics, protocol
from oddsmith.config import Settings
from oddsmith.discovery import Announcer
from oddsmith.pricing import warm_up
from oddsmith.protocol import table_topic
from workers.desk import Desk, kick_off_passed

log = logging.getLogger(__name__)

TICK_SECONDS = 0.5
# Most requests answered per turn of the loop; bets among them share a commit.
MAX_GROUP = 128
# Most leases claimed per tick.
MAX_CLAIMS_PER_TICK = 16
Handler = Callable[[protocol.Request], dict[str, Any]]


class Worker:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.name = settings.worker_name or f"{pysocket.gethostname()}-{os.getpid()}"
        self.desk = Desk(self.name)
        # Tables this worker runs: table id -> lease fence.
        self.tables: dict[int, int] = {}
        self.running = True
        self.last_tick = time.monotonic()
        self._context = zmq.Context.instance()
        self.router = self._context.socket(zmq.ROUTER)
        self.router.setsockopt(zmq.LINGER, 0)
        self.router.bind(settings.worker_bind)
        self.endpoint = self.router.getsockopt(zmq.LAST_ENDPOINT).decode()
        self.publisher = self._context.socket(zmq.PUB)
        self.publisher.setsockopt(zmq.LINGER, 1000)
        self.publisher.connect(settings.broker_publish_in)
        self.handlers: dict[str, Handler] = {
            "place_bet": lambda r: self.desk.place_bet(r.args, r.request_id),
            "suspend": lambda r: self._transition(r, "suspend"),
            "resume": lambda r: self._transition(r, "resume"),
            "close": lambda r: self._transition(r, "close"),
            "void": self._void,
            "settle": self._settle,
            "correct": self._correct,
            "stop_table": self._stop_table,
            "ping": lambda r: {"worker": self.name},
        }

    # -- requests --------------------------------------------------------------

    @staticmethod
    def _event_id(request: protocol.Request) -> int:
        kind, _, ident = request.resource.partition(":")
        if kind != "event" or not ident.isdigit():
            raise errors.InvalidRequest(f"{request.op} needs an event")
        return int(ident)

    def _transition(self, request: protocol.Request, action: str) -> dict[str, Any]:
        return self.desk.transition(self._event_id(request), action, request.actor)

    def _outcome(self, event_id: int, code: str) -> int:
        owned = self.desk.owned.get(event_id)
        if owned is None:
            raise errors.NotOwner(f"not the owner of event {event_id}")
        index = events.outcome_index(owned.spec, code)
        if index is None:
            raise errors.InvalidRequest(f"{code!r} is not an outcome of this event")
        return index

    def _settle(self, request: protocol.Request) -> dict[str, Any]:
        event_id = self._event_id(request)
        code = str(request.args["outcome"])
        if event_id not in self.desk.owned:
            return self._finished(event_id, "settle", code)
        return self.desk.settle(event_id, self._outcome(event_id, code), request.actor)

    def _void(self, request: protocol.Request) -> dict[str, Any]:
        event_id = self._event_id(request)
        if event_id not in self.desk.owned:
            return self._finished(event_id, "void")
        return self.desk.void(event_id, request.actor)

    @staticmethod
    def _finished(event_id: int, action: str, outcome: str = "") -> dict[str, Any]:
        """Answer a settle or void of a finished event from the database.

        The owner lets a settled or voided event go on its next tick, so a
        repeat that queued behind the settlement finds no owner; without this
        it would go round the broker until the caller's deadline.
        """
        row = db.Event.get_or_none(db.Event.id == event_id)
        if row is None or row.status not in ("settled", "voided"):
            raise errors.NotOwner(f"not the owner of event {event_id}")
        repeated = (row.status, action) == ("voided", "void") or (
            (row.status, action) == ("settled", "settle")
            and events.spec_of(row).outcomes[row.result] == outcome
        )
        if not repeated:
            raise errors.InvalidTransition(
                f"Cannot {action} an event that is {row.status}."
            )
        return events.view(row)

    def _correct(self, request: protocol.Request) -> dict[str, Any]:
        event_id = self._event_id(request)
        outcome = self._outcome(event_id, str(request.args["outcome"]))
        return self.desk.correct(
            event_id, outcome, request.actor, str(request.args["reason"])
        )

    def _stop_table(self, request: protocol.Request) -> dict[str, Any]:
        table_id = int(request.resource.partition(":")[2])
        if table_id not in self.tables:
            raise errors.NotOwner(f"not the owner of table {table_id}")
        with db.write_transaction():
            self._check_table_fence(table_id)
            db.RouletteTable.update(status="stopping").where(
                (db.RouletteTable.id == table_id)
                & (db.RouletteTable.status == "running")
            ).execute()
            if request.actor:
                db.AuditLog.create(
                    actor=request.actor, action="stop_table", target=f"table:{table_id}"
                )
        table = db.RouletteTable.get_by_id(table_id)
        self._publish_table(table)
        return events.table_view(table)

    def handle(self, request: protocol.Request) -> protocol.Reply:
        """Run one request; every failure becomes an error reply, never a crash."""
        deadline = request.args.get("deadline")
        if isinstance(deadline, (int, float)) and deadline < time.time():
            # The caller has given up; acting now would surprise it.
            error = protocol.ErrorBody(
                "unavailable", "the request expired before it ran"
            )
            return protocol.Reply(request_id=request.request_id, error=error)
        started = time.perf_counter()
        reply = self._dispatch(request)
        if request.op == "place_bet":
            metrics.BET_SECONDS.observe(time.perf_counter() - started)
            metrics.BETS.labels(reply.error.code if reply.error else "accepted").inc()
        return reply

    def _dispatch(self, request: protocol.Request) -> protocol.Reply:
        handler = self.handlers.get(request.op)
        if handler is None:
            log.warning(
                "unknown operation %r request_id=%s", request.op, request.request_id
            )
            error = protocol.ErrorBody(
                "invalid_request", f"unknown operation {request.op}"
            )
            return protocol.Reply(request_id=request.request_id, error=error)
        try:
            result = handler(request)
        except errors.OddsmithError as exc:
            return protocol.Reply(
                request_id=request.request_id,
                error=protocol.ErrorBody(exc.code, exc.detail, exc.current),
            )
        except (pw.OperationalError, pw.InterfaceError) as exc:
            if self.desk.grouped:
                # The group's transaction is lost: the group answers for all.
                raise
            log.warning(
                "database error on %s: %s request_id=%s",
                request.op,
                exc,
                request.request_id,
            )
            self._reconnect()
            return protocol.Reply(
                request_id=request.request_id,
                error=protocol.ErrorBody("unavailable", "the database is unavailable"),
            )
        except Exception:
            # A bug must cost one request, not the worker and its events.
            log.exception("%s failed request_id=%s", request.op, request.request_id)
            return protocol.Reply(
                request_id=request.request_id,
                error=protocol.ErrorBody(
                    "internal", "the worker failed on this request"
                ),
            )
        return protocol.Reply(request_id=request.request_id, result=result)

    def _flush(self) -> None:
        for topic, body in self.desk.outbox:
            self.publisher.send_multipart([topic, protocol.encode(body)])
        self.desk.outbox.clear()

    def _reconnect(self) -> None:
        with contextlib.suppress(pw.PeeweeException):
            db.database.close()
        try:
            db.database.connect(reuse_if_open=True)
        except pw.PeeweeException as exc:
            log.debug("database still down: %s", exc)

    # -- leases ------------------------------------------------------------------

    def _heartbeat(self, now: float) -> None:
        updated = (
            db.Worker.update(endpoint=self.endpoint, last_seen=now)
            .where(db.Worker.name == self.name)
            .execute()
        )
        if not updated:
            db.Worker.insert(
                name=self.name, endpoint=self.endpoint, last_seen=now
            ).on_conflict_ignore().execute()

    def _renew(self, now: float) -> None:
        """Extend every lease still ours; forget what another worker took."""
        until = now + self.settings.lease_seconds
        mine = [events.resource(i) for i in self.desk.owned]
        mine += [f"table:{i}" for i in self.tables]
        # Only what this process loaded: a lease left by an earlier process of
        # the same name must expire and be claimed again under a new fence.
        for start in range(0, len(mine), 500):
            db.Lease.update(expires_at=until).where(
                (db.Lease.owner == self.name)
                & db.Lease.resource.in_(mine[start : start + 500])
            ).execute()
        held = dict(
            db.Lease.select(db.Lease.resource, db.Lease.fence)
            .where((db.Lease.owner == self.name) & db.Lease.active)
            .tuples()
        )
        for event_id, owned in list(self.desk.owned.items()):
            if owned.row.status not in events.OPEN_STATES:
                # Settled or voided here: the lease was given up on purpose.
                self.desk.drop(event_id)
            elif held.get(events.resource(event_id)) != owned.fence:
                log.warning("lost event %s to another worker", event_id)
                self.desk.drop(event_id)
        for table_id in list(self.tables):
            if held.get(f"table:{table_id}") != self.tables[table_id]:
                log.warning("lost table %s to another worker", table_id)
                del self.tables[table_id]

    def _claim(self, resource: str, now: float) -> int | None:
        """Take a free or expired lease; return the new fence, or None if taken."""
        taken = (
            db.Lease.update(
                owner=self.name,
                fence=db.Lease.fence + 1,
                expires_at=now + self.settings.lease_seconds,
            )
            .where(
                (db.Lease.resource == resource)
                & db.Lease.active
                & (db.Lease.owner.is_null() | (db.Lease.expires_at < now))
            )
            .execute()
        )
        if taken != 1:
            return None
        return db.Lease.get_by_id(resource).fence

    def _claim_share(self, now: float) -> None:
        live = max(
            1,
            db.Worker.select()
            .where(db.Worker.last_seen > now - self.settings.lease_seconds)
            .count(),
        )
        # Spins are driven by their table's owner, so only matches and tables
        # are shared out here.
        active = (
            db.Lease.select(db.Lease.resource, db.Lease.owner, db.Lease.expires_at)
            .where(db.Lease.active)
            .tuples()
        )
        candidates, total, mine = [], 0, 0
        spin_ids = set(
            db.Event.select(db.Event.id)
            .where(
                db.Event.table.is_null(False) & db.Event.status.in_(events.OPEN_STATES)
            )
            .tuples()
        )
        spins = {events.resource(i) for (i,) in spin_ids}
        for resource, owner, expires_at in active:
            if resource in spins:
                continue
            total += 1
            # A lapsed lease under this name is not held: an earlier process of
            # the same name released it, or this one settled the event and the
            # API reopened it for a correction. It must be claimed again.
            if owner == self.name and expires_at >= now:
                mine += 1
            elif owner is None or expires_at < now:
                candidates.append(resource)
        share = math.ceil(total / live)
        wanted = candidates[: min(max(0, share - mine), MAX_CLAIMS_PER_TICK)]
        if not wanted:
            return
        # One transaction (one fsync) for the whole batch, and a bounded batch:
        # after an import of hundreds of matches the loop must get back to
        # answering bets between ticks rather than claim them all at once.
        claimed: list[tuple[str, int]] = []
        with db.write_transaction():
            for resource in wanted:
                fence = self._claim(resource, now)
                if fence is not None:
                    claimed.append((resource, fence))
        for resource, fence in claimed:
            self._adopt(resource, fence)

    def _adopt(self, resource: str, fence: int) -> None:
        kind, _, ident = resource.partition(":")
        if kind == "event":
            owned = self.desk.load(int(ident), fence)
            log.info("owning event %s (fence %s)", ident, fence)
            # A settled event's lease is active only while a correction waits
            # for an owner, so it is kept; other finished events are not.
            if owned is not None and owned.row.status not in (
                *events.OPEN_STATES,
                "settled",
            ):
                self.desk.drop(owned.id)
        elif kind == "table":
            self.tables[int(ident)] = fence
            log.info("running table %s (fence %s)", ident, fence)

    # -- timers --------------------------------------------------------------------

    def _close_started_matches(self) -> None:
        now = db.utcnow()
        for event_id, owned in list(self.desk.owned.items()):
            if owned.row.status in ("open", "suspended") and kick_off_passed(
                owned.row, now
            ):
                try:
                    self.desk.transition(event_id, "close", 0)
                    log.info("event %s closed at kick-off", event_id)
                except errors.OddsmithError as exc:
                    log.warning(
                        "could not close event %s at kick-off: %s", event_id, exc
                    )

    def _check_table_fence(self, table_id: int) -> None:
        held = (
            db.Lease.update(fence=db.Lease.fence)
            .where(
                (db.Lease.resource == f"table:{table_id}")
                & (db.Lease.owner == self.name)
                & (db.Lease.fence == self.tables.get(table_id, -1))
                & (db.Lease.expires_at > time.time())
            )
            .execute()
        )
        if held != 1:
            raise errors.NotOwner(f"lost table {table_id}")

    def _publish_table(self, table: db.RouletteTable) -> None:
        self.publisher.send_multipart(
            [
                table_topic(table.id),
                protocol.encode({"type": "table", "table": events.table_view(table)}),
            ]
        )

    def _run_table(self, table_id: int, now_epoch: float) -> None:
        """Move a table's current spin along: open, close, draw, settle, next."""
        table = db.RouletteTable.get_or_none(db.RouletteTable.id == table_id)
        if table is None:
            return
        spin = (
            db.Event.select()
            .where(db.Event.table == table_id)
            .order_by(db.Event.spin_number.desc())
            .first()
        )
        now = db.utcnow()
        if spin is not None and spin.status in events.OPEN_STATES:
            resource = events.resource(spin.id)
            if spin.id not in self.desk.owned:
                fence = self._claim(resource, now_epoch)
                if fence is None:
                    return
                self.desk.load(spin.id, fence)
            if spin.status in ("open", "suspended") and spin.closes_at <= now:
                self.desk.close_spin(spin.id)
                self._flush()
            owned = self.desk.owned[spin.id]
            if owned.row.status == "closed" and owned.row.result is not None:
                self.desk.settle(spin.id, owned.row.result, 0)
                self._flush()
                self._publish_table(table)
            return

        # No spin in progress: start the next one after the pause, or stop.
        if table.status == "stopping":
            with db.write_transaction():
                self._check_table_fence(table_id)
                table.status = "stopped"
                table.save(only=[db.RouletteTable.status])
                db.Lease.update(active=False).where(
                    db.Lease.resource == f"table:{table_id}"
                ).execute()
            del self.tables[table_id]
            self._publish_table(table)
            return
        if table.status != "running":
            return
        if (
            spin is not None
            and spin.settled_at
            and spin.settled_at + dt.timedelta(seconds=table.pause_seconds) > now
        ):
            return
        number = (spin.spin_number if spin else 0) + 1
        with db.write_transaction():
            self._check_table_fence(table_id)
            created = events.create_spin(table, number, now)
            db.Lease.update(
                owner=self.name,
                fence=1,
                expires_at=now_epoch + self.settings.lease_seconds,
            ).where(db.Lease.resource == events.resource(created.id)).execute()
        self.desk.load(created.id, 1)
        self.publisher.send_multipart(
            [
                protocol.event_topic(created.id),
                protocol.encode({"type": "event", "event": events.view(created)}),
            ]
        )
        self._publish_table(table)

    def tick(self) -> None:
        now = time.time()
        self.last_tick = time.monotonic()
        self._heartbeat(now)
        self._renew(now)
        self._claim_share(now)
        self._close_started_matches()
        for table_id in list(self.tables):
            try:
                self._run_table(table_id, now)
            except errors.NotOwner:
                self.tables.pop(table_id, None)
        self._flush()
        metrics.OWNED_EVENTS.set(len(self.desk.owned))

    # -- main loop -------------------------------------------------------------------

    def ready(self) -> bool:
        """Whether the loop is turning: a stuck worker keeps no leases anyway."""
        return time.monotonic() - self.last_tick < self.settings.lease_seconds

    def run(self, ops_port: int = 0) -> None:
        metrics.serve_ops(self.settings.host, ops_port, self.ready)
        announcer = None
        if self.settings.discovery in ("zeroconf", "both"):
            try:
                announcer = Announcer(
                    self.name, self.endpoint, self.settings.zeroconf_interfaces
                )
            except OSError as exc:
                log.warning(
                    "cannot announce on zeroconf (%s); relying on the static list", exc
                )
        # Leases held under this name by a previous process (killed before it
        # could release them) go back to the pool, to be claimed with a new fence.
        db.Lease.update(expires_at=0).where(db.Lease.owner == self.name).execute()
        log.info("worker %s listening on %s", self.name, self.endpoint)
        signal.signal(signal.SIGTERM, lambda *_: setattr(self, "running", False))
        signal.signal(signal.SIGINT, lambda *_: setattr(self, "running", False))
        next_tick = 0.0
        try:
            while self.running:
                if self.router.poll(50):
                    self._serve_ready()
                if time.monotonic() >= next_tick:
                    try:
                        self.tick()
                    except (pw.OperationalError, pw.InterfaceError) as exc:
                        log.warning("database unavailable during tick: %s", exc)
                        self._reconnect()
                    except Exception:
                        log.exception("periodic work failed; retrying on the next tick")
                    next_tick = time.monotonic() + TICK_SECONDS
        finally:
            self._release_all()
            if announcer is not None:
                announcer.close()
            self.router.close(linger=0)
            self.publisher.close(linger=500)

    def _serve_ready(self) -> None:
        """Answer what has arrived; consecutive bets share one commit."""
        batch: list[tuple[list[bytes], protocol.Request]] = []
        while len(batch) < MAX_GROUP:
            try:
                *route, payload = self.router.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            try:
                batch.append((route, protocol.decode_request(payload)))
            except Exception:
                log.warning("undecodable request dropped (%d bytes)", len(payload))
        start = 0
        while start < len(batch):
            end = start
            while end < len(batch) and batch[end][1].op == "place_bet":
                end += 1
            if end > start:
                self._serve_bets(batch[start:end])
                start = end
            else:
                route, request = batch[start]
                self._answer([(route, self.handle(request))])
                start += 1

    def _serve_bets(self, group: list[tuple[list[bytes], protocol.Request]]) -> None:
        """Place a group of bets in one transaction and answer after its commit."""
        answers: list[tuple[list[bytes], protocol.Reply]] = []
        try:
            with self.desk.group():
                for route, request in group:
                    answers.append((route, self.handle(request)))
        except pw.PeeweeException as exc:
            log.warning("a group of %d bets failed to commit: %s", len(group), exc)
            self.desk.outbox.clear()
            for event_id in {int(r.args.get("event_id", 0)) for _, r in group}:
                # The books may hold bets that were rolled back.
                self.desk.drop(event_id)
            self._reconnect()
            answers = [
                (
                    route,
                    protocol.Reply(
                        request_id=request.request_id,
                        error=protocol.ErrorBody(
                            "unavailable", "the database is unavailable"
                        ),
                    ),
                )
                for route, request in group
            ]
        self._answer(answers)

    def _answer(self, answers: list[tuple[list[bytes], protocol.Reply]]) -> None:
        # Publications first: a client that hears "accepted" may at once ask
        # for a snapshot, which must not be older than what was published.
        self._flush()
        for route, reply in answers:
            self.router.send_multipart([*route, protocol.encode(reply)])

    def _release_all(self) -> None:
        """Give leases back on a clean stop so others take over at once."""
        try:
            db.Lease.update(expires_at=0).where(db.Lease.owner == self.name).execute()
            db.Worker.delete().where(db.Worker.name == self.name).execute()
        except pw.PeeweeException as exc:
            log.warning("could not release leases on stop: %s", exc)


def main(settings: Settings, ops_port: int = 0) -> None:
    # Compile (or load) the pricing kernels now, not on the first bet.
    warm_up()
    db.open_database(settings.database_url)
    Worker(settings).run(ops_port)
