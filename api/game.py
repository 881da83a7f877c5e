"""The game service: events and odds, bets, the caller's account, administration.

Reads come straight from the database. Everything that changes an event goes
to the worker that owns it, through the broker.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import falcon
import peewee as pw
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from api import openapi, schemas
from api.common import (
    audit,
    authenticate,
    create_app,
    read_body,
    require_admin,
    send_json,
)
from oddsmith import (
    accounts,
    db,
    errors,
    events,
    fixtures,
    ledger,
    logs,
    metrics,
    money,
)
from oddsmith.config import Settings, load_settings
from oddsmith.pricing import Book
from oddsmith.protocol import user_topic
from oddsmith.rpc import BrokerClient, Publisher
from oddsmith.tokens import Verifier

log = logging.getLogger(__name__)


class Context:
    """What every resource of the game service needs."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.verifier = Verifier(
            settings.secrets_path, settings.token_issuer, settings.token_audience
        )
        self.broker = BrokerClient(settings.broker_bind, settings.request_timeout)
        self.updates = Publisher(settings.broker_publish_in)

    def user(self, req: falcon.Request) -> db.User:
        user, _ = authenticate(req, self.verifier)
        return user

    def admin(self, req: falcon.Request) -> db.User:
        user = self.user(req)
        require_admin(user)
        return user


def _event_or_404(event_id: int) -> db.Event:
    event = db.Event.get_or_none(db.Event.id == event_id)
    if event is None:
        raise errors.NotFound(f"There is no event {event_id}.")
    return event


class EventList:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        query = db.Event.select().order_by(db.Event.starts_at, db.Event.id)
        kind = req.get_param("kind")
        status = req.get_param("status")
        if kind is not None:
            if kind not in db.EVENT_KINDS:
                raise errors.InvalidRequest("kind must be football or roulette.")
            query = query.where(db.Event.kind == kind)
        if status is not None:
            if status not in db.EVENT_STATES:
                raise errors.InvalidRequest("Unknown status.")
            query = query.where(db.Event.status == status)
        else:
            # By default: what can still be bet on or is about to be settled,
            # plus the latest roulette spins.
            query = query.where(db.Event.status.in_(events.OPEN_STATES))
        send_json(resp, {"events": [events.view(e) for e in query.limit(500)]})


class EventItem:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, event_id: int) -> None:
        send_json(resp, events.view(_event_or_404(event_id)))


class Tables:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        tables = db.RouletteTable.select().order_by(db.RouletteTable.id)
        send_json(resp, {"tables": [events.table_view(t) for t in tables]})


class Bets:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = self.ctx.user(req)
        key = req.get_header("Idempotency-Key") or ""
        if not 8 <= len(key) <= 64 or not key.isascii() or not key.isprintable():
            raise errors.InvalidRequest(
                "Send an Idempotency-Key header of 8 to 64 characters."
            )
        body = read_body(req, schemas.PlaceBet)
        event = _event_or_404(body.event_id)
        if event.status in ("settled", "voided"):
            # A finished event has no owner to ask; it can never reopen.
            raise errors.EventNotOpen(f"Betting on {event.name} is {event.status}.")
        result = self.ctx.broker.call(
            "place_bet",
            events.resource(body.event_id),
            {
                "user_id": user.id,
                "event_id": body.event_id,
                "selection_id": body.selection_id,
                "stake": body.stake,
                "odds": body.odds,
                "policy": body.policy,
                "idempotency_key": key,
            },
            request_id=req.context.request_id,
        )
        send_json(resp, result["bet"], 200 if result.get("replayed") else 201)


class Me:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        send_json(resp, accounts.public_user(self.ctx.user(req)))


class MyBets:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = self.ctx.user(req)
        rows = (
            db.Bet.select(
                db.Bet, db.Event.id, db.Event.name, db.Selection.id, db.Selection.name
            )
            .join(db.Event, on=(db.Bet.event == db.Event.id))
            .switch(db.Bet)
            .join(db.Selection, on=(db.Bet.selection == db.Selection.id))
            .where(db.Bet.user == user.id)
            .order_by(db.Bet.id.desc())
            .limit(200)
        )
        send_json(
            resp,
            {
                "bets": [
                    events.bet_view(b, b.event.name, b.selection.name) for b in rows
                ]
            },
        )


class MyLedger:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        user = self.ctx.user(req)
        rows = (
            db.Posting.select(db.Posting, db.Journal)
            .join(db.Journal)
            .switch(db.Posting)
            .join(db.Account)
            .where(db.Account.code == ledger.user_code(user.id))
            .order_by(db.Posting.id.desc())
            .limit(500)
        )
        entries = [
            {
                "id": p.id,
                "created_at": db.isoformat(p.journal.created_at),
                "kind": p.journal.kind,
                "amount": p.amount,
                "balance_after": p.balance_after,
                "reference": p.journal.key,
                "event_id": p.journal.event_id,
                "bet_id": p.journal.bet_id,
                "reason": p.journal.reason,
            }
            for p in rows
        ]
        send_json(resp, {"entries": entries})


# -- administration --------------------------------------------------------------


class AdminEvents:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        admin = self.ctx.admin(req)
        body = read_body(req, schemas.CreateEvent)
        opening = (
            tuple(money.parse_odds(o) for o in body.opening_odds)
            if body.opening_odds
            else None
        )
        starts_at = body.starts_at
        if starts_at.tzinfo is not None:
            starts_at = starts_at.astimezone(db.dt.UTC).replace(tzinfo=None)
        with db.write_transaction():
            event = events.create_football(
                home=body.home,
                away=body.away,
                league=body.league,
                starts_at=starts_at,
                opening_odds=opening,  # type: ignore[arg-type]
            )
            if body.name:
                event.name = body.name
                event.save(only=[db.Event.name])
            audit(admin, "create_event", f"event:{event.id}", event.name)
        send_json(resp, events.view(event), 201)


class AdminEventAction:
    """Suspend, resume, close or void an event through its owner."""

    ACTIONS = ("suspend", "resume", "close", "void")

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, event_id: int, action: str
    ) -> None:
        admin = self.ctx.admin(req)
        if action not in self.ACTIONS:
            raise errors.NotFound(f"There is no action {action}.")
        event = _event_or_404(event_id)
        if event.status in ("settled", "voided"):
            # Finished events have no owner to ask: answer from the database,
            # where a finished event can no longer change.
            if action == "void" and event.status == "voided":
                send_json(resp, events.view(event))
                return
            raise errors.InvalidTransition(
                f"Cannot {action} an event that is {event.status}."
            )
        result = self.ctx.broker.call(
            action,
            events.resource(event_id),
            {},
            request_id=req.context.request_id,
            actor=admin.id,
        )
        send_json(resp, result)


class AdminSettle:
    def __init__(self, ctx: Context, correction: bool = False) -> None:
        self.ctx = ctx
        self.correction = correction

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, event_id: int
    ) -> None:
        admin = self.ctx.admin(req)
        event = _event_or_404(event_id)
        args: dict[str, Any]
        if self.correction:
            body = read_body(req, schemas.Correct)
            args = {"outcome": body.outcome, "reason": body.reason}
        else:
            settle = read_body(req, schemas.Settle)
            args = {"outcome": settle.outcome}
        if events.outcome_index(events.spec_of(event), args["outcome"]) is None:
            raise errors.InvalidRequest(
                f"{args['outcome']!r} is not an outcome of this event."
            )
        op = "correct" if self.correction else "settle"
        if event.status in ("settled", "voided") and not self.correction:
            # Settled events have no owner; answer a repeat from the database.
            if (
                event.status == "settled"
                and events.spec_of(event).outcomes[event.result] == args["outcome"]
            ):
                send_json(resp, events.view(event))
                return
            raise errors.InvalidTransition(f"The event is {event.status}.")
        if self.correction and event.status == "voided":
            raise errors.InvalidTransition("A voided event cannot be corrected.")
        if self.correction and event.status == "settled":
            if events.spec_of(event).outcomes[event.result] == args["outcome"]:
                # Already the result: nothing to correct, no owner to wake.
                send_json(resp, events.view(event))
                return
            # A correction needs an owner again: reopen the lease for it.
            db.Lease.update(active=True).where(
                db.Lease.resource == events.resource(event_id)
            ).execute()
        result = self.ctx.broker.call(
            op,
            events.resource(event_id),
            args,
            request_id=req.context.request_id,
            actor=admin.id,
        )
        send_json(resp, result)


class AdminExposure:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response, event_id: int) -> None:
        self.ctx.admin(req)
        event = _event_or_404(event_id)
        spec = events.spec_of(event)
        params = events.params_of(event)
        book = Book(spec, params)
        positions = dict(
            db.Selection.select(db.Selection.id, db.Selection.position)
            .where(db.Selection.event == event_id)
            .tuples()
        )
        for selection_id, stake, odds in (
            db.Bet.select(db.Bet.selection, db.Bet.stake, db.Bet.odds)
            .where(db.Bet.event == event_id)
            .tuples()
        ):
            book.add_accepted(positions[selection_id], stake, odds)
        liability = book.liability()
        names = events.outcome_names(event, spec)
        total = int(book.total_stake)
        send_json(
            resp,
            {
                "event_id": event_id,
                "total_stake": total,
                "budget": params.b0 + params.alpha_bp * total // 10000,
                "outcomes": [
                    {
                        "code": code,
                        "name": names[i],
                        "liability": int(liability[i]),
                        "house_result": total - int(liability[i]),
                    }
                    for i, code in enumerate(spec.outcomes)
                ],
            },
        )


class AdminHouse:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.ctx.admin(req)
        house = ledger.ensure_account(ledger.HOUSE_CODE)
        rows = (
            db.Journal.select(
                db.Journal.event,
                db.Event.name,
                db.Event.status,
                pw.fn.SUM(db.Posting.amount),
            )
            .join(db.Posting)
            .switch(db.Journal)
            .join(db.Event, on=(db.Journal.event == db.Event.id))
            .where(db.Posting.account == house.id)
            .group_by(db.Journal.event, db.Event.name, db.Event.status)
            .order_by(db.Journal.event.desc())
            .tuples()
        )
        items = [
            {
                "id": event_id,
                "name": name,
                "status": status,
                "house_result": int(amount),
            }
            for event_id, name, status, amount in rows
        ]
        send_json(
            resp, {"events": items, "total": sum(i["house_result"] for i in items)}
        )


class AdminFixtures:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.ctx.admin(req)
        send_json(resp, {"leagues": fixtures.available()})


class AdminFixturesImport:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        admin = self.ctx.admin(req)
        body = read_body(req, schemas.ImportFixtures)
        try:
            result = fixtures.import_league(body.file)
        except KeyError as exc:
            raise errors.NotFound(f"There is no league file {body.file}.") from exc
        audit(admin, "import_fixtures", body.file, str(result))
        send_json(
            resp,
            {
                "created": result.created,
                "settled": result.settled,
                "skipped": result.skipped,
            },
        )


class AdminTables:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        admin = self.ctx.admin(req)
        body = read_body(req, schemas.CreateTable)
        with db.write_transaction():
            table = db.RouletteTable.create(
                name=body.name,
                betting_seconds=body.betting_seconds,
                pause_seconds=body.pause_seconds,
            )
            db.Lease.create(resource=f"table:{table.id}")
            audit(admin, "open_table", f"table:{table.id}", table.name)
        send_json(resp, events.table_view(table), 201)


class AdminTableStop:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_post(
        self, req: falcon.Request, resp: falcon.Response, table_id: int
    ) -> None:
        admin = self.ctx.admin(req)
        table = db.RouletteTable.get_or_none(db.RouletteTable.id == table_id)
        if table is None:
            raise errors.NotFound(f"There is no table {table_id}.")
        if table.status != "running":
            send_json(resp, events.table_view(table))
            return
        result = self.ctx.broker.call(
            "stop_table",
            f"table:{table_id}",
            {},
            request_id=req.context.request_id,
            actor=admin.id,
        )
        send_json(resp, result)


class AdminUsers:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        self.ctx.admin(req)
        name = req.get_param("username") or ""
        if len(name) > 32:
            raise errors.InvalidRequest("username is at most 32 characters.")
        query = (
            db.User.select()
            .where(db.User.username.contains(name))
            .order_by(db.User.username)
        )
        send_json(resp, {"users": [accounts.public_user(u) for u in query.limit(50)]})


class AdminBalance:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def on_put(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        admin = self.ctx.admin(req)
        body = read_body(req, schemas.SetBalance)
        user = db.User.get_or_none(db.User.id == user_id)
        if user is None:
            raise errors.NotFound(f"There is no user {user_id}.")
        code = ledger.user_code(user.id)
        for _ in range(3):
            try:
                with db.write_transaction():
                    ledger.ensure_account(code, user.id)
                    delta = body.balance - ledger.balance_of(code)
                    if delta:
                        ledger.post(
                            f"adjust:{uuid.uuid4()}",
                            "adjustment",
                            [(ledger.EXTERNAL_CODE, -delta), (code, delta)],
                            actor=admin.id,
                            reason=body.reason,
                        )
                    audit(
                        admin,
                        "set_balance",
                        f"user:{user.id}",
                        f"{delta:+d}: {body.reason}",
                    )
                break
            except errors.InsufficientBalance:
                # A bet debited the account between the read and the write.
                continue
        shown = accounts.public_user(user)
        self.ctx.updates.publish(
            user_topic(user.id), {"type": "balance", "balance": shown["balance"]}
        )
        send_json(resp, shown)


class Health:
    """Liveness and readiness: the process answers, and its database does."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        db.Event.select().limit(1).count()
        send_json(resp, {"status": "ok"})


class Metrics:
    """Prometheus metrics of every process of this gunicorn instance."""

    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        registry = CollectorRegistry()
        try:
            multiprocess.MultiProcessCollector(registry)
        except ValueError:
            # Not under gunicorn's multiprocess setup: this process only.
            registry = REGISTRY
        resp.content_type = CONTENT_TYPE_LATEST
        resp.data = generate_latest(registry)


class Timing:
    """Observe every request's latency under its route template."""

    def process_request(self, req: falcon.Request, resp: falcon.Response) -> None:
        req.context.timing_started = time.perf_counter()

    def process_response(
        self, req: falcon.Request, resp: falcon.Response, resource: object, ok: bool
    ) -> None:
        started = getattr(req.context, "timing_started", None)
        if started is None:
            return
        metrics.HTTP_SECONDS.labels(
            req.method, req.uri_template or "unrouted", str(resp.status)[:3]
        ).observe(time.perf_counter() - started)


ROUTES: list[tuple[str, type]] = []


def make_app(settings: Settings | None = None) -> falcon.App:
    """Build the game app (gunicorn: ``api.game:make_app()``)."""
    settings = settings or load_settings()
    logs.configure("game", settings.log_level, settings.log_format)
    db.open_database(settings.database_url, create=False)
    ctx = Context(settings)
    app = create_app(settings)
    app.add_route("/api/events", EventList(ctx))
    app.add_route("/api/events/{event_id:int(min=1)}", EventItem(ctx))
    app.add_route("/api/roulette/tables", Tables(ctx))
    app.add_route("/api/bets", Bets(ctx))
    app.add_route("/api/me", Me(ctx))
    app.add_route("/api/me/bets", MyBets(ctx))
    app.add_route("/api/me/ledger", MyLedger(ctx))
    app.add_route("/api/admin/events", AdminEvents(ctx))
    app.add_route("/api/admin/events/{event_id:int(min=1)}/settle", AdminSettle(ctx))
    app.add_route(
        "/api/admin/events/{event_id:int(min=1)}/correct",
        AdminSettle(ctx, correction=True),
    )
    app.add_route(
        "/api/admin/events/{event_id:int(min=1)}/exposure", AdminExposure(ctx)
    )
    app.add_route(
        "/api/admin/events/{event_id:int(min=1)}/{action}", AdminEventAction(ctx)
    )
    app.add_route("/api/admin/house", AdminHouse(ctx))
    app.add_route("/api/admin/fixtures", AdminFixtures(ctx))
    app.add_route("/api/admin/fixtures/import", AdminFixturesImport(ctx))
    app.add_route("/api/admin/roulette/tables", AdminTables(ctx))
    app.add_route(
        "/api/admin/roulette/tables/{table_id:int(min=1)}/stop", AdminTableStop(ctx)
    )
    app.add_route("/api/admin/users", AdminUsers(ctx))
    app.add_route("/api/admin/users/{user_id:int(min=1)}/balance", AdminBalance(ctx))
    app.add_route("/api/health", Health())
    app.add_route("/api/ready", Health())
    # Served on the internal port only: nginx sends /metrics to the static files.
    app.add_route("/metrics", Metrics())
    app.add_middleware(Timing())
    app.add_route("/api/openapi.json", openapi.Document())
    return app
