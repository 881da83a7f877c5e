"""Faults with real processes: killed and paused workers, a restarted broker."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest
import requests
import zmq

from oddsmith import db, events, protocol
from oddsmith.pricing import Book
from tests.harness import Platform, running

pytestmark = pytest.mark.slow


def worker_pids(platform: Platform) -> dict[str, int]:
    """Map supervisord's worker program names to their running pids."""
    status = platform.supervisorctl("status")
    return {
        name: int(pid)
        for name, pid in re.findall(
            r"^(worker-\d+)\s+RUNNING\s+pid (\d+)", status, re.M
        )
    }


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def create_matches(platform: Platform, admin: str, count: int) -> list[dict]:
    matches = []
    for i in range(count):
        resp = platform.call(
            "POST",
            "/api/admin/events",
            admin,
            {
                "home": f"Home {i}",
                "away": f"Away {i}",
                "league": "Fault league",
                "starts_at": (
                    dt.datetime.now(dt.UTC) + dt.timedelta(days=2)
                ).isoformat(),
            },
        )
        assert resp.status_code == 201, resp.text
        matches.append(resp.json())
    return matches


def funded_users(
    platform: Platform, admin: str, count: int, balance: int
) -> list[tuple[int, str]]:
    users = []
    for _ in range(count):
        name = "u" + uuid.uuid4().hex[:10]
        user = platform.register(name)
        resp = platform.call(
            "PUT",
            f"/api/admin/users/{user['id']}/balance",
            admin,
            {"balance": balance, "reason": "fault test"},
        )
        assert resp.status_code == 200, resp.text
        users.append((user["id"], platform.login(name)))
    return users


@dataclass
class BetStream:
    """Bettors placing bets from threads until stopped, recording every answer."""

    platform: Platform
    users: list[tuple[int, str]]
    matches: list[dict]
    answers: dict[tuple[int, str], int | None] = field(default_factory=dict)
    accepted: dict[tuple[int, str], int] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, seed: int) -> None:
        rng = random.Random(seed)
        session = requests.Session()
        while not self.stop.is_set():
            user_id, token = rng.choice(self.users)
            match = rng.choice(self.matches)
            selection = rng.choice(match["markets"][0]["selections"])
            key = uuid.uuid4().hex
            status: int | None = None
            try:
                resp = session.post(
                    self.platform.url + "/api/bets",
                    json={
                        "event_id": match["id"],
                        "selection_id": selection["id"],
                        "stake": rng.randrange(100, 2_000),
                        "odds": "1.01",
                        "policy": "any",
                    },
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": key,
                    },
                    timeout=15,
                )
                status = resp.status_code
                if status in (200, 201):
                    with self.lock:
                        self.accepted[(user_id, key)] = resp.json()["id"]
            except requests.RequestException:
                status = None
            with self.lock:
                self.answers[(user_id, key)] = status

    @contextlib.contextmanager
    def flowing(self, threads: int) -> Iterator[None]:
        """Run the stream from ``threads`` threads for the duration of the block."""
        started = [
            threading.Thread(target=self.run, args=(i,), daemon=True)
            for i in range(threads)
        ]
        for thread in started:
            thread.start()
        try:
            yield
        finally:
            self.stop.set()
            for thread in started:
                thread.join(timeout=30)

    def wait_for_more(self, count: int, timeout: float, what: str) -> None:
        """Wait until ``count`` more bets than now have been accepted."""
        target = len(self.accepted) + count
        wait_for(lambda: len(self.accepted) >= target, timeout, what)


def audit_passes(platform: Platform) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "oddsmith.cli", "audit"],
        env=platform.env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def open_db(database_url: str) -> Iterator[str]:
    yield database_url
    if db.database.obj is not None:
        db.database.close()


def check_stored_exactly_once(stream: BetStream) -> None:
    db.database.connect(reuse_if_open=True)
    stored = {
        (user, key): bet_id
        for user, key, bet_id in db.Bet.select(
            db.Bet.user, db.Bet.idempotency_key, db.Bet.id
        ).tuples()
    }
    for answer_key, bet_id in stream.accepted.items():
        assert stored.get(answer_key) == bet_id, f"accepted bet {answer_key} not stored"
    # The unique key makes "at most once" structural; every stored bet came
    # from a request of the stream.
    assert set(stored) <= set(stream.answers)


def check_loss_bound() -> None:
    for event in db.Event.select():
        book = Book(events.spec_of(event), events.params_of(event))
        positions = dict(
            db.Selection.select(db.Selection.id, db.Selection.position)
            .where(db.Selection.event == event.id)
            .tuples()
        )
        for selection_id, stake, odds in (
            db.Bet.select(db.Bet.selection, db.Bet.stake, db.Bet.odds)
            .where(db.Bet.event == event.id)
            .tuples()
        ):
            book.add_accepted(positions[selection_id], stake, odds)
        params = events.params_of(event)
        total = int(book.total_stake)
        worst = int(book.liability().max()) - total
        assert worst * 10_000 <= params.b0 * 10_000 + params.alpha_bp * total


def test_killing_workers_loses_no_bet(tmp_path: Path, open_db: str) -> None:
    """Twenty kill -9s of workers during a bet stream: every 201 is stored once, the ledger and the loss bound hold."""
    with running(tmp_path, open_db) as platform:
        admin = platform.admin_token()
        matches = create_matches(platform, admin, 4)
        users = funded_users(platform, admin, 6, 10_000_000)
        stream = BetStream(platform, users, matches)
        rng = random.Random(20)
        with stream.flowing(3):
            for _ in range(20):
                time.sleep(rng.uniform(0.2, 1.0))
                pids = worker_pids(platform)
                assert pids, platform.supervisorctl("status")
                name = rng.choice(sorted(pids))
                os.kill(pids[name], signal.SIGKILL)
                # supervisord starts a new process under the same name.
                wait_for(
                    lambda name=name, old=pids[name]: (
                        worker_pids(platform).get(name, old) != old
                    ),
                    20,
                    f"{name} to restart",
                )
            # Bets flow again once ownership has settled.
            stream.wait_for_more(5, 30, "bets after the storm")

        statuses = list(stream.answers.values())
        assert 500 not in statuses
        assert len(stream.accepted) > 100
        assert set(statuses) <= {200, 201, 503, None}

        # Retrying an unanswered request with its key never places a second bet.
        unanswered = [k for k, s in stream.answers.items() if s not in (200, 201)][:10]
        tokens = dict(users)
        for user_id, key in unanswered:
            match = matches[0]
            resp = platform.call(
                "POST",
                "/api/bets",
                tokens[user_id],
                {
                    "event_id": match["id"],
                    "selection_id": match["markets"][0]["selections"][0]["id"],
                    "stake": 100,
                    "odds": "1.01",
                    "policy": "any",
                },
                **{"Idempotency-Key": key},
            )
            # 409 when the lost request had placed a different bet under this key.
            assert resp.status_code in (200, 201, 409), resp.text

        db.open_database(open_db, create=False)
        check_stored_exactly_once(stream)
        check_loss_bound()
        audit = audit_passes(platform)
        assert audit.returncode == 0, audit.stdout


def test_paused_worker_cannot_write_after_losing_its_lease(
    tmp_path: Path, open_db: str
) -> None:
    """A worker paused until its lease moves, then resumed, refuses the event it lost."""
    with running(tmp_path, open_db) as platform:
        admin = platform.admin_token()
        (match,) = create_matches(platform, admin, 1)
        ((user_id, token),) = funded_users(platform, admin, 1, 1_000_000)
        db.open_database(open_db, create=False)
        resource = events.resource(match["id"])
        wait_for(lambda: db.Lease.get_by_id(resource).owner is not None, 10, "an owner")
        lease = db.Lease.get_by_id(resource)
        owner = db.Worker.get_by_id(lease.owner)
        pid = {n.split("-")[0]: p for n, p in worker_pids(platform).items()}
        program = f"worker-{owner.name.split('-')[0][1:]}"
        paused = worker_pids(platform)[program]

        os.kill(paused, signal.SIGSTOP)
        try:
            wait_for(
                lambda: db.Lease.get_by_id(resource).fence > lease.fence,
                15,
                "the lease to move",
            )
            selection = match["markets"][0]["selections"][0]
            placed = platform.place(
                token, match["id"], selection["id"], 1_000, "1.01", "any"
            )
            assert placed.status_code == 201, placed.text
        finally:
            os.kill(paused, signal.SIGCONT)

        # Straight to the resumed worker, before it has noticed anything.
        context = zmq.Context.instance()
        sock = context.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.connect(owner.endpoint)
        request = protocol.Request(
            op="place_bet",
            request_id="stale-check",
            resource=resource,
            args={
                "user_id": user_id,
                "event_id": match["id"],
                "selection_id": selection["id"],
                "stake": 1_000,
                "odds": "1.01",
                "policy": "any",
                "idempotency_key": "stale-worker-key",
            },
        )
        sock.send_multipart([b"test-client", protocol.encode(request)])
        assert sock.poll(10_000), "the resumed worker never answered"
        _, payload = sock.recv_multipart()
        sock.close()
        reply = msgspec.json.decode(payload, type=protocol.Reply)
        assert reply.error is not None and reply.error.code == "not_owner"
        assert (
            db.Bet.select().where(db.Bet.idempotency_key == "stale-worker-key").count()
            == 0
        )
        assert db.Bet.select().count() == 1
        del pid


def test_broker_restart_answers_503_then_recovers(tmp_path: Path, open_db: str) -> None:
    """While the broker restarts bets fail with 503 unavailable, never 500, and then succeed again without restarting anything else."""
    with running(tmp_path, open_db, request_timeout="3") as platform:
        admin = platform.admin_token()
        matches = create_matches(platform, admin, 2)
        users = funded_users(platform, admin, 3, 10_000_000)
        stream = BetStream(platform, users, matches)
        with stream.flowing(2):
            stream.wait_for_more(10, 20, "bets before the restart")
            platform.supervisorctl("stop", "broker")
            time.sleep(4)
            platform.supervisorctl("start", "broker")
            stream.wait_for_more(10, 30, "bets after the restart")
        statuses = set(stream.answers.values())
        assert 500 not in statuses
        assert 503 in statuses, "the outage was never seen"
        db.open_database(open_db, create=False)
        check_stored_exactly_once(stream)
        assert audit_passes(platform).returncode == 0


def test_every_api_instance_shows_the_same_balance(
    tmp_path: Path, open_db: str
) -> None:
    """With two API instances behind nginx, each instance reports the same balance after every bet."""
    with running(tmp_path, open_db, api_instances="2") as platform:
        admin = platform.admin_token()
        (match,) = create_matches(platform, admin, 1)
        ((_, token),) = funded_users(platform, admin, 1, 100_000)
        base = int(platform.env["ODDSMITH_INTERNAL_PORT_BASE"])
        instances = [f"http://127.0.0.1:{base + 11 + i}" for i in range(2)]
        selection = match["markets"][0]["selections"][1]
        for n in range(5):
            placed = platform.place(
                token, match["id"], selection["id"], 1_000, "1.01", "any"
            )
            assert placed.status_code == 201, placed.text
            balances = {
                requests.get(
                    url + "/api/me",
                    headers={"Authorization": f"Bearer {token}"},
                    timeout=10,
                ).json()["balance"]
                for url in instances
            }
            assert balances == {100_000 - 1_000 * (n + 1)}
