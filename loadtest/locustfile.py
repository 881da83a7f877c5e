"""Load scenarios for any Oddsmith deployment, given by ``--host``.

User classes (pick some by name on the command line, or run them all):

- ``WatcherUser``: anonymous; lists events and tables and holds a WebSocket
  open on /ws, counting the updates it receives and the version gaps it sees.
- ``BettorUser``: registers, is funded by the administrator, reads the odds,
  bets at the odds it read with the ``better`` policy and an Idempotency-Key,
  replays a key now and then, reads its bets and its balance.
- ``AdminUser``: exactly one; creates events, suspends and resumes them,
  closes and settles them, reads exposure, runs a roulette table. It settles
  only what it created and stops what it opened when the run ends.
- ``UpdateLatencyUser``: a bettor with an authenticated WebSocket that
  reports, as ``WS`` rows in Locust's statistics, how long after a bet was
  sent its own ``bet`` message and the event's next version arrived.

Configuration comes from the environment, read once below:
``ODDSMITH_ADMIN_USER`` (default ``admin``) and ``ODDSMITH_ADMIN_PASSWORD``
(the same variables that start the platform), ``LOADTEST_STAKE`` (cents per
bet, default 100) and ``LOADTEST_FUNDING`` (each bettor's balance in cents,
default 1,000,000). loadtest/README.md shows how to run each scenario.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import gevent
import websocket  # websocket-client, which Locust installs with itself
from gevent.event import Event as Signal
from gevent.lock import Semaphore
from locust import HttpUser, between, task
from locust.clients import HttpSession
from locust.exception import StopUser

log = logging.getLogger(__name__)

# Refusals a bettor must expect on a live market; they are correct answers,
# counted under their code, not failures.
EXPECTED_REFUSALS = frozenset(
    {
        "odds_changed",
        "over_max_stake",
        "stake_too_small",
        "insufficient_balance",
        "event_not_open",
        "rate_limited",
    }
)
PASSWORD = "load test horse battery staple"
# Sockets send a ping this often: the relay closes sockets silent for long.
PING_SECONDS = 60.0
# How long a latency probe waits for its updates before calling it lost.
UPDATE_TIMEOUT = 10.0


@dataclass(frozen=True)
class LoadSettings:
    admin_user: str
    admin_password: str
    stake: int
    funding: int


def read_settings(environ: Mapping[str, str]) -> LoadSettings:
    """Read the scenarios' knobs from the environment."""
    return LoadSettings(
        admin_user=environ.get("ODDSMITH_ADMIN_USER", "admin"),
        admin_password=environ.get("ODDSMITH_ADMIN_PASSWORD", ""),
        stake=int(environ.get("LOADTEST_STAKE", "100")),
        funding=int(environ.get("LOADTEST_FUNDING", "1000000")),
    )


SETTINGS = read_settings(os.environ)


def websocket_url(host: str) -> str:
    scheme, _, rest = host.rstrip("/").partition("://")
    return ("wss://" if scheme == "https" else "ws://") + rest + "/ws"


def report(
    user: HttpUser,
    name: str,
    seconds: float,
    size: int = 0,
    error: Exception | None = None,
) -> None:
    """Put a WebSocket measurement into Locust's statistics as a ``WS`` row."""
    user.environment.events.request.fire(
        request_type="WS",
        name=name,
        response_time=seconds * 1000,
        response_length=size,
        exception=error,
        context={},
    )


def count_refusal(user: HttpUser, code: str) -> None:
    # A zero-time row per code shows how often each refusal happened.
    user.environment.events.request.fire(
        request_type="REFUSED",
        name=code,
        response_time=0,
        response_length=0,
        exception=None,
        context={},
    )


# -- accounts --------------------------------------------------------------------


class Administrator:
    """One administrator token per Locust process, shared by every user."""

    def __init__(self) -> None:
        self.lock = Semaphore()
        self.token = ""

    def bearer(self, client: HttpSession, renew: bool = False) -> dict[str, str]:
        with self.lock:
            if renew or not self.token:
                if not SETTINGS.admin_password:
                    raise StopUser("set ODDSMITH_ADMIN_PASSWORD to fund and administer")
                resp = client.post(
                    "/api/auth/login",
                    json={
                        "username": SETTINGS.admin_user,
                        "password": SETTINGS.admin_password,
                    },
                    name="/api/auth/login (admin)",
                )
                if resp.status_code != 200:
                    raise StopUser(f"admin login refused: HTTP {resp.status_code}")
                self.token = resp.json()["access_token"]
            return {"Authorization": f"Bearer {self.token}"}

    def call(
        self, client: HttpSession, method: str, path: str, name: str, **kwargs: Any
    ) -> Any:
        """Send an admin request, logging in again once if the token expired."""
        resp = client.request(
            method, path, headers=self.bearer(client), name=name, **kwargs
        )
        if resp.status_code == 401:
            resp = client.request(
                method,
                path,
                headers=self.bearer(client, renew=True),
                name=name,
                **kwargs,
            )
        return resp


ADMIN = Administrator()


def with_retry_after(send: Callable[[], Any], attempts: int = 5) -> Any:
    """Send, waiting out 429 answers as their Retry-After header asks."""
    resp = send()
    for _ in range(attempts):
        if resp.status_code != 429:
            break
        gevent.sleep(float(resp.headers.get("Retry-After", "5")))
        resp = send()
    return resp


class Account:
    """A fresh bettor: registered, funded by the administrator, logged in."""

    def __init__(self, client: HttpSession) -> None:
        self.client = client
        self.username = f"lt{uuid.uuid4().hex[:14]}"
        resp = with_retry_after(
            lambda: client.post(
                "/api/auth/register",
                json={"username": self.username, "password": PASSWORD},
            )
        )
        if resp.status_code != 201:
            raise StopUser(f"registration refused: HTTP {resp.status_code}")
        self.user_id = int(resp.json()["id"])
        funded = ADMIN.call(
            client,
            "PUT",
            f"/api/admin/users/{self.user_id}/balance",
            "/api/admin/users/[id]/balance",
            json={"balance": SETTINGS.funding, "reason": "load test funding"},
        )
        if funded.status_code != 200:
            raise StopUser(f"funding refused: HTTP {funded.status_code}")
        self.token = ""
        self.login()

    def login(self) -> None:
        resp = with_retry_after(
            lambda: self.client.post(
                "/api/auth/login",
                json={"username": self.username, "password": PASSWORD},
            )
        )
        if resp.status_code != 200:
            raise StopUser(f"login refused: HTTP {resp.status_code}")
        self.token = resp.json()["access_token"]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# -- the WebSocket ------------------------------------------------------------------


class Socket:
    """One /ws connection read by a greenlet; messages go to ``on_message``."""

    def __init__(
        self,
        user: HttpUser,
        on_message: Callable[[dict[str, Any], float], None],
        token: str = "",
    ) -> None:
        self.user = user
        self.on_message = on_message
        self.token = token
        self.authenticated = Signal()
        self.pong = Signal()
        self.closing = False
        self.last_sent = time.monotonic()
        started = time.perf_counter()
        try:
            # No Origin header: this is not a browser page.
            self.ws = websocket.create_connection(
                websocket_url(user.host or ""), timeout=30, suppress_origin=True
            )
        except (OSError, websocket.WebSocketException) as exc:
            report(user, "connect", time.perf_counter() - started, error=exc)
            raise StopUser("no WebSocket") from exc
        report(user, "connect", time.perf_counter() - started)
        self.ws.settimeout(None)
        self.reader = gevent.spawn(self._read)
        self.keeper = gevent.spawn(self._keep_alive)
        if token:
            self.send({"op": "auth", "token": token})
            if not self.authenticated.wait(10):
                report(user, "auth", 10, error=TimeoutError("no auth_ok"))

    def send(self, message: dict[str, Any]) -> None:
        self.last_sent = time.monotonic()
        try:
            self.ws.send(json.dumps(message))
        except (OSError, websocket.WebSocketException) as exc:
            if not self.closing:
                report(self.user, "send", 0, error=exc)

    def ping(self) -> None:
        """Time one ping to its pong."""
        self.pong.clear()
        started = time.perf_counter()
        self.send({"op": "ping"})
        if self.pong.wait(10):
            report(self.user, "ping -> pong", time.perf_counter() - started)
        else:
            report(self.user, "ping -> pong", 10, error=TimeoutError("no pong"))

    def _keep_alive(self) -> None:
        while not self.closing:
            gevent.sleep(PING_SECONDS / 4)
            # Only a socket that said nothing for a while needs the ping.
            if time.monotonic() - self.last_sent >= PING_SECONDS:
                self.send({"op": "ping"})

    def _read(self) -> None:
        while not self.closing:
            try:
                text = self.ws.recv()
            except (OSError, websocket.WebSocketException) as exc:
                if not self.closing:
                    report(self.user, "closed by server", 0, error=exc)
                return
            if not text:
                # websocket-client returns nothing once the socket has closed.
                if not self.closing:
                    report(self.user, "closed by server", 0, error=EOFError())
                return
            arrived = time.perf_counter()
            try:
                message = json.loads(text)
            except ValueError:
                report(self.user, "undecodable", 0, len(text), ValueError(text[:80]))
                continue
            kind = message.get("type", "?")
            # Counted with no time: only how many of each kind arrived matters.
            report(self.user, f"recv {kind}", 0, len(text))
            if kind == "auth_ok":
                self.authenticated.set()
            elif kind == "pong":
                self.pong.set()
            self.on_message(message, arrived)

    def close(self) -> None:
        self.closing = True
        gevent.killall([self.reader, self.keeper], block=False)
        with contextlib.suppress(OSError, websocket.WebSocketException):
            self.ws.close()


class VersionTracker:
    """Follow each event's version; ask for a snapshot when one is skipped."""

    def __init__(self, user: HttpUser) -> None:
        self.user = user
        self.versions: dict[int, int] = {}
        self.socket: Socket | None = None

    def on_message(self, message: dict[str, Any], arrived: float) -> None:
        if message.get("type") != "event":
            return
        event = message["event"]
        event_id, version = int(event["id"]), int(event["version"])
        seen = self.versions.get(event_id)
        if seen is not None and version > seen + 1 and self.socket is not None:
            # A gap means missed updates; the contract says: take a snapshot.
            report(self.user, "version gap", 0, error=RuntimeError("version gap"))
            self.socket.send({"op": "snapshot", "event_id": event_id})
        if seen is None or version > seen:
            self.versions[event_id] = version


# -- reading the markets ---------------------------------------------------------


def open_events(client: HttpSession) -> list[dict[str, Any]]:
    resp = client.get("/api/events?status=open", name="/api/events?status=open")
    if resp.status_code != 200:
        return []
    return [e for e in resp.json()["events"] if e["status"] == "open"]


def pick_selection(event: dict[str, Any]) -> dict[str, Any] | None:
    selections = [s for m in event["markets"] for s in m["selections"]]
    return random.choice(selections) if selections else None


class Bettor:
    """What every betting user does: read odds, bet, check its bets."""

    def __init__(self, user: HttpUser) -> None:
        self.user = user
        self.account = Account(user.client)
        self.events: list[dict[str, Any]] = []
        self.listed_at = 0.0

    def choose_event(self) -> dict[str, Any] | None:
        """Return a fresh copy of a random open event (the odds to bet at)."""
        if time.monotonic() - self.listed_at > 10 or not self.events:
            self.events = open_events(self.user.client)
            self.listed_at = time.monotonic()
        if not self.events:
            return None
        chosen = random.choice(self.events)
        resp = self.user.client.get(
            f"/api/events/{chosen['id']}", name="/api/events/[id]"
        )
        return resp.json() if resp.status_code == 200 else None

    def place(
        self, event: dict[str, Any], selection: dict[str, Any], key: str = ""
    ) -> dict[str, Any] | None:
        """Bet at the odds just read; return the bet when accepted."""
        stake = min(SETTINGS.stake, int(selection["max_stake"]))
        if stake <= 0:
            return None
        body = {
            "event_id": event["id"],
            "selection_id": selection["id"],
            "stake": stake,
            "odds": selection["odds"],
            "policy": "better",
        }
        return self.post_bet(body, key or uuid.uuid4().hex)

    def post_bet(
        self, body: dict[str, Any], key: str, name: str = "/api/bets"
    ) -> dict[str, Any] | None:
        headers = {**self.account.headers, "Idempotency-Key": key}
        with self.user.client.post(
            "/api/bets", json=body, headers=headers, name=name, catch_response=True
        ) as resp:
            if resp.status_code in (200, 201):
                resp.success()
                return dict(resp.json())
            code = _problem_code(resp)
            if resp.status_code == 401:
                resp.success()
                count_refusal(self.user, "unauthorized (logging in again)")
                self.account.login()
            elif code in EXPECTED_REFUSALS:
                resp.success()
                count_refusal(self.user, code)
            else:
                resp.failure(f"HTTP {resp.status_code} {code}")
        return None

    def replay(self, body: dict[str, Any], key: str, bet: dict[str, Any]) -> None:
        """Send the same key again: the same bet must come back, with 200."""
        again = self.post_bet(body, key, name="/api/bets (same key again)")
        if again is not None and again.get("id") != bet["id"]:
            report(
                self.user,
                "idempotency",
                0,
                error=RuntimeError(
                    f"key {key} placed bets {bet['id']} and {again['id']}"
                ),
            )


def _problem_code(resp: Any) -> str:
    try:
        return str(resp.json().get("code", ""))
    except (ValueError, AttributeError):
        return ""


# -- the user classes ---------------------------------------------------------------


class WatcherUser(HttpUser):
    """An anonymous visitor: browses events, keeps a live socket open."""

    weight = 6
    wait_time = between(2, 5)

    def on_start(self) -> None:
        self.tracker = VersionTracker(self)
        self.socket = Socket(self, self.tracker.on_message)
        self.tracker.socket = self.socket

    def on_stop(self) -> None:
        self.socket.close()

    @task(3)
    def list_events(self) -> None:
        self.events = open_events(self.client)

    @task(2)
    def view_event(self) -> None:
        events = getattr(self, "events", None) or open_events(self.client)
        if events:
            event_id = random.choice(events)["id"]
            self.client.get(f"/api/events/{event_id}", name="/api/events/[id]")

    @task(1)
    def tables(self) -> None:
        self.client.get("/api/roulette/tables")

    @task(1)
    def ping(self) -> None:
        self.socket.ping()


class BettorUser(HttpUser):
    """A registered bettor: reads odds, bets at them, checks its account."""

    weight = 3
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.bettor = Bettor(self)

    @task(6)
    def bet(self) -> None:
        event = self.bettor.choose_event()
        selection = pick_selection(event) if event else None
        if event is None or selection is None:
            return
        key = uuid.uuid4().hex
        bet = self.bettor.place(event, selection, key)
        if bet is not None and random.random() < 0.05:
            stake = min(SETTINGS.stake, int(selection["max_stake"]))
            body = {
                "event_id": event["id"],
                "selection_id": selection["id"],
                "stake": stake,
                "odds": selection["odds"],
                "policy": "better",
            }
            self.bettor.replay(body, key, bet)

    @task(2)
    def my_bets(self) -> None:
        self.client.get("/api/me/bets", headers=self.bettor.account.headers)

    @task(1)
    def me(self) -> None:
        self.client.get("/api/me", headers=self.bettor.account.headers)


class AdminUser(HttpUser):
    """The one administrator: opens, moves and settles events; runs a table."""

    fixed_count = 1
    wait_time = between(2, 4)
    # Events this user created and has not settled yet: id -> creation time.
    KEEP_OPEN = 3
    SETTLE_AFTER = 45.0

    def on_start(self) -> None:
        self.created: dict[int, float] = {}
        self.tables: list[int] = []
        resp = ADMIN.call(
            self.client,
            "POST",
            "/api/admin/roulette/tables",
            "/api/admin/roulette/tables",
            json={
                "name": f"Load test {uuid.uuid4().hex[:6]}",
                "betting_seconds": 15,
                "pause_seconds": 5,
            },
        )
        if resp.status_code == 201:
            self.tables.append(int(resp.json()["id"]))
        for _ in range(self.KEEP_OPEN):
            self.create_event()

    def on_stop(self) -> None:
        for event_id in list(self.created):
            self._close_and_settle(event_id)
        for table_id in self.tables:
            ADMIN.call(
                self.client,
                "POST",
                f"/api/admin/roulette/tables/{table_id}/stop",
                "/api/admin/roulette/tables/[id]/stop",
            )

    @task(2)
    def create_event(self) -> None:
        if len(self.created) >= self.KEEP_OPEN * 2:
            return
        starts = dt.datetime.now(dt.UTC) + dt.timedelta(days=30)
        n = uuid.uuid4().hex[:4]
        resp = ADMIN.call(
            self.client,
            "POST",
            "/api/admin/events",
            "/api/admin/events",
            json={
                "kind": "football",
                "name": f"Load {n} v Test {n}",
                "league": "Load test",
                "starts_at": starts.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "home": f"Load {n}",
                "away": f"Test {n}",
            },
        )
        if resp.status_code == 201:
            self.created[int(resp.json()["id"])] = time.monotonic()

    @task(2)
    def settle_oldest(self) -> None:
        ripe = [
            event_id
            for event_id, made in self.created.items()
            if time.monotonic() - made > self.SETTLE_AFTER
        ]
        if len(self.created) > self.KEEP_OPEN and ripe:
            self._close_and_settle(min(ripe))

    @task(1)
    def suspend_and_resume(self) -> None:
        if not self.created:
            return
        event_id = random.choice(list(self.created))
        for action in ("suspend", "resume"):
            ADMIN.call(
                self.client,
                "POST",
                f"/api/admin/events/{event_id}/{action}",
                f"/api/admin/events/[id]/{action}",
            )
            gevent.sleep(1)

    @task(2)
    def exposure(self) -> None:
        if self.created:
            event_id = random.choice(list(self.created))
            ADMIN.call(
                self.client,
                "GET",
                f"/api/admin/events/{event_id}/exposure",
                "/api/admin/events/[id]/exposure",
            )

    @task(1)
    def watch_tables(self) -> None:
        self.client.get("/api/roulette/tables")

    def _close_and_settle(self, event_id: int) -> None:
        ADMIN.call(
            self.client,
            "POST",
            f"/api/admin/events/{event_id}/close",
            "/api/admin/events/[id]/close",
        )
        outcome = random.choice(("home", "draw", "away"))
        resp = ADMIN.call(
            self.client,
            "POST",
            f"/api/admin/events/{event_id}/settle",
            "/api/admin/events/[id]/settle",
            json={"outcome": outcome},
        )
        if resp.status_code == 200:
            self.created.pop(event_id, None)


class UpdateLatencyUser(HttpUser):
    """A bettor that times how fast its bets show up on its WebSocket.

    For each accepted bet two times are reported, both from the moment the
    bet was sent: ``bet sent -> own bet message`` (the private ``bet``
    message carrying the bet's id: exact) and ``bet sent -> event update``
    (the first update of the event with a version above the one read before
    betting: another bettor's change may arrive first, so this can be a
    little early, never late). They are timed from the send rather than
    from the 201 because the worker publishes the updates before it
    answers, so they can overtake the HTTP reply; the POST's own time is in
    the statistics beside them.
    """

    weight = 1
    wait_time = between(1, 2)

    def on_start(self) -> None:
        self.bettor = Bettor(self)
        self.waiting_version: tuple[int, int] | None = None
        self.update_seen = Signal()
        self.update_at = 0.0
        self.bets_seen: dict[int, float] = {}
        self.bet_seen = Signal()
        self.socket = Socket(self, self.on_message, token=self.bettor.account.token)

    def on_stop(self) -> None:
        self.socket.close()

    def on_message(self, message: dict[str, Any], arrived: float) -> None:
        kind = message.get("type")
        if kind == "event" and self.waiting_version is not None:
            event_id, version = self.waiting_version
            event = message["event"]
            if event["id"] == event_id and event["version"] > version:
                self.update_at = arrived
                self.waiting_version = None
                self.update_seen.set()
        elif kind == "bet":
            self.bets_seen[int(message["bet"]["id"])] = arrived
            self.bet_seen.set()

    @task
    def bet_and_wait(self) -> None:
        event = self.bettor.choose_event()
        selection = pick_selection(event) if event else None
        if event is None or selection is None:
            return
        self.update_seen.clear()
        self.bets_seen.clear()
        self.waiting_version = (int(event["id"]), int(event["version"]))
        sent = time.perf_counter()
        bet = self.bettor.place(event, selection)
        if bet is None:
            self.waiting_version = None
            return

        bet_id = int(bet["id"])
        deadline = sent + UPDATE_TIMEOUT
        while bet_id not in self.bets_seen and time.perf_counter() < deadline:
            self.bet_seen.clear()
            self.bet_seen.wait(max(0.0, deadline - time.perf_counter()))
        if bet_id in self.bets_seen:
            report(self, "bet sent -> own bet message", self.bets_seen[bet_id] - sent)
        else:
            report(
                self,
                "bet sent -> own bet message",
                UPDATE_TIMEOUT,
                error=TimeoutError("lost"),
            )
        if self.update_seen.wait(max(0.0, deadline - time.perf_counter())):
            report(self, "bet sent -> event update", self.update_at - sent)
        else:
            self.waiting_version = None
            report(
                self,
                "bet sent -> event update",
                UPDATE_TIMEOUT,
                error=TimeoutError("lost"),
            )
