"""Measure the whole platform against references taken on the same machine.

Run it through ``bench/run`` (``bench/run --quick`` takes under a minute). It
starts its own cluster with ``oddsmith up`` in a temporary data directory and
on free ports, prepares funded users and events over HTTP, then measures:

- accepted bets per second through nginx, the game API, the broker, a worker
  and the database commit, against GET /api/health on the same gunicorn;
- bet latency at half that rate with a constant arrival rate (open loop),
  against the health route at the same rate;
- database fsyncs and commits per accepted bet;
- the time one update takes to reach N WebSocket clients through the broker,
  the relay and nginx, against a bare ``websockets`` broadcast of the payload;
- how many WebSocket connections one relay process holds, and its memory per
  connection;
- CPU microseconds per accepted bet in each process of the platform.

The load generator is a pool of threads speaking keep-alive HTTP/1.1 over
plain sockets with requests prepared as bytes: it costs about 0.2 ms of CPU
per bet, a few percent of what the platform spends, and its own CPU use is
printed so a reader can see that it did not starve the platform. The results
end in one table whose last column is the ratio to the reference.
"""

# ruff: noqa: E402 - the imports must follow the sys.path repair just below.
from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/platform.py`, this folder comes first on sys.path and
# this file would shadow the standard library's `platform`, which pyzmq,
# psutil and others import. Drop it before anything else is imported.
_HERE = Path(__file__).resolve().parent
if sys.path and Path(sys.path[0] or ".").resolve() == _HERE:
    del sys.path[0]

import argparse
import asyncio
import collections
import contextlib
import datetime as dt
import functools
import json
import os
import queue
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import psutil
import zmq
from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.asyncio.server import ServerConnection, broadcast, serve

ROOT = _HERE.parent
ADMIN_PASSWORD = "bench-admin-password"
USER_PASSWORD = "bench horse battery staple"
# One euro per bet against ten thousand on each account: no account runs dry.
STAKE_CENTS = 100
FUNDING_CENTS = 1_000_000
# The lowest odds the API accepts: with the `better` policy the bet is taken
# at whatever the current odds are, so moving odds refuse nothing.
ANY_ODDS = "1.01"
# Versions of synthetic updates sit far above any real event's version.
SYNTHETIC_VERSION = 1_000_000_000

# Row labels of the result table; tests/test_bench_smoke.py looks for each.
ROW_THROUGHPUT = "accepted bets per second"
ROW_P50 = "bet latency p50 (open loop)"
ROW_P99 = "bet latency p99 (open loop)"
ROW_FSYNC = "database fsyncs per accepted bet"
ROW_COMMIT = "database commits per accepted bet"
ROW_FANOUT = "one update to every WebSocket client"
ROW_HELD = "WebSocket connections held by one relay"
ROW_MEMORY = "relay memory per WebSocket connection"
ROW_CPU = "CPU per accepted bet"
CPU_ROLES = ("nginx", "game API", "broker", "workers", "relay", "database")


@dataclass(frozen=True)
class Plan:
    """How big and how long each phase is."""

    users: int
    events: int
    warmup_seconds: float
    rate_seconds: float
    latency_seconds: float
    fsync_bets: int
    fanout_clients: int
    fanout_rounds: int
    relay_clients: int
    connections: int


QUICK = Plan(
    users=8,
    events=4,
    warmup_seconds=0.5,
    rate_seconds=3.0,
    latency_seconds=2.0,
    fsync_bets=100,
    fanout_clients=200,
    fanout_rounds=3,
    relay_clients=500,
    connections=16,
)
FULL = Plan(
    users=48,
    events=12,
    warmup_seconds=3.0,
    rate_seconds=20.0,
    latency_seconds=15.0,
    fsync_bets=600,
    fanout_clients=1000,
    fanout_rounds=10,
    relay_clients=2000,
    connections=32,
)


def say(message: str) -> None:
    """Report progress on stderr, so stdout holds only the results."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# -- the cluster ---------------------------------------------------------------


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int = 40) -> int:
    """Return a base port such that base .. base + size - 1 are all free."""
    rng = random.Random()
    for _ in range(200):
        # Below Linux's ephemeral range (32768 and up), so that the many
        # outgoing connections of a run cannot take a port the cluster needs.
        base = 20000 + rng.randrange(1270) * 10
        if all(_port_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free block of ports between 20000 and 32740")


def role_of(cmdline: list[str]) -> str | None:
    """Name the platform role of a process from its command line."""
    text = " ".join(cmdline)
    if "nginx" in text:
        return "nginx"
    if "api.game:make_app" in text:
        return "game API"
    if "api.auth:make_app" in text:
        return "auth API"
    if "oddsmith.cli broker" in text:
        return "broker"
    if "oddsmith.cli worker" in text:
        return "workers"
    if "oddsmith.cli relay" in text:
        return "relay"
    return None


def unreachable_rate_limits() -> dict[str, str]:
    """Return settings that keep every rate limit counting but never refusing.

    All load comes from one address and a few users, far above what the
    limits allow one client. Loopback, where the load comes from, is exempt
    by default; the exemption is lifted so that bets pay for their counting
    (a database write per limited request) as every remote client's do.
    """
    from oddsmith.config import Settings

    defaults = Settings()
    settings = {
        f"ODDSMITH_{name.upper()}": f"{10**9}/60"
        for name in Settings.__struct_fields__
        if re.fullmatch(r"\d+/\d+", str(getattr(defaults, name)))
    }
    if "rate_exempt_addresses" in Settings.__struct_fields__:
        settings["ODDSMITH_RATE_EXEMPT_ADDRESSES"] = ""
    return settings


class Cluster:
    """One `oddsmith up` with its own data directory, ports and database."""

    def __init__(
        self,
        data_dir: Path,
        db_url: str,
        base_port: int,
        workers: int,
        gunicorn_workers: int,
    ) -> None:
        self.data_dir = data_dir
        self.db_url = db_url
        self.port = base_port
        self.internal_base = base_port + 4
        self.broker_publish_in = f"tcp://127.0.0.1:{base_port + 2}"
        self.workers = workers
        settings = {
            "PORT": str(base_port),
            "DATA_DIR": str(data_dir),
            "DB": db_url,
            "ADMIN_USER": "admin",
            "ADMIN_PASSWORD": ADMIN_PASSWORD,
            "BROKER_BIND": f"tcp://127.0.0.1:{base_port + 1}",
            "BROKER_PUBLISH_IN": self.broker_publish_in,
            "BROKER_PUBLISH_OUT": f"tcp://127.0.0.1:{base_port + 3}",
            "INTERNAL_PORT_BASE": str(self.internal_base),
            "WORKER_COUNT": str(workers),
            "GUNICORN_WORKERS": str(gunicorn_workers),
            "FIXTURES": "",
            # Every request logs a line at INFO; production runs the same way.
            "LOG_LEVEL": "INFO",
        }
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("ODDSMITH_")
        }
        self.env.update({f"ODDSMITH_{k}": v for k, v in settings.items()})
        self.env.update(unreachable_rate_limits())
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def relay_port(self) -> int:
        # The first relay listens at internal base + 21 (oddsmith.cluster).
        return self.internal_base + 21

    def start(self, timeout: float = 120) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.data_dir / "up.log", "wb")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oddsmith.cli", "up", "--no-fixtures"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        with HttpConnection("127.0.0.1", self.port, timeout=2) as http:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"oddsmith up exited:\n{self.logs()}")
                with contextlib.suppress(OSError, ValueError):
                    if (
                        http.request("GET", "/api/health")[0] == 200
                        and http.request("GET", "/api/auth/health")[0] == 200
                        and self._workers_alive() >= self.workers
                    ):
                        return
                    http.close()
                time.sleep(0.3)
        raise RuntimeError(f"the platform did not become ready:\n{self.logs()}")

    def _workers_alive(self) -> int:
        from oddsmith import db

        with database(self.db_url):
            return (
                db.Worker.select().where(db.Worker.last_seen > time.time() - 3).count()
            )

    def processes(self) -> dict[str, list[psutil.Process]]:
        """Return the platform's processes by role, database server included."""
        found: dict[str, list[psutil.Process]] = collections.defaultdict(list)
        if self.process is None:
            return found
        # supervisord carries every process's log lines, so it works per bet.
        found["supervisord"].append(psutil.Process(self.process.pid))
        for child in psutil.Process(self.process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                role = role_of(child.cmdline())
                if role is not None:
                    found[role].append(child)
        if not self.db_url.startswith("sqlite"):
            for proc in psutil.process_iter(["name"]):
                if proc.info["name"] in ("mariadbd", "mysqld"):
                    found["database"].append(proc)
        return found

    def logs(self) -> str:
        parts = []
        for path in sorted(self.data_dir.glob("**/*.log")):
            text = path.read_text(errors="replace")[-2000:]
            parts.append(f"--- {path.name}\n{text}")
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGINT)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


@contextlib.contextmanager
def database(url: str) -> Iterator[None]:
    """Open the platform's database in this process for the length of a block."""
    from oddsmith import db

    db.open_database(url, create=False)
    try:
        yield
    finally:
        db.database.close()


def empty_database(url: str) -> None:
    """Drop every Oddsmith table so the cluster starts from nothing."""
    from oddsmith import db

    handle = db.open_database(url, create=False)
    try:
        db.drop_all(handle)
    finally:
        handle.close()


# -- HTTP ----------------------------------------------------------------------


class HttpConnection:
    """One keep-alive HTTP/1.1 connection with just the parsing the API needs.

    Requests go out as prepared bytes and only the status, the length and the
    body are read back, so the client's cost per request stays small next to
    the server's.
    """

    def __init__(self, host: str, port: int, timeout: float = 30) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.sock: socket.socket | None = None
        self.reader: Any = None

    def __enter__(self) -> HttpConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.sock is not None:
            self.reader.close()
            self.sock.close()
        self.sock = self.reader = None

    def _open(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = self.sock.makefile("rb")

    def request(
        self, method: str, path: str, body: bytes = b"", headers: str = ""
    ) -> tuple[int, bytes]:
        """Send one request and return the status and the body.

        ``headers`` are complete lines, each ending in CRLF. A connection the
        server closed while idle is reopened once; any other fault raises
        OSError and leaves the connection closed.
        """
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n{headers}"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        for attempt in (1, 2):
            fresh = self.sock is None
            if fresh:
                self._open()
            try:
                assert self.sock is not None
                self.sock.sendall(head + body)
                return self._response()
            except (OSError, ValueError):
                self.close()
                # Only a reused connection may have been closed under us.
                if fresh or attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _response(self) -> tuple[int, bytes]:
        status_line = self.reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split(b" ", 2)[1])
        length, chunked, close = 0, False, False
        while True:
            line = self.reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"connection":
                close = b"close" in value.lower()
        body = self._chunks() if chunked else self.reader.read(length)
        if close:
            self.close()
        return status, body

    def _chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self.reader.readline().split(b";")[0], 16)
            if size == 0:
                self.reader.readline()
                return b"".join(parts)
            parts.append(self.reader.read(size))
            self.reader.readline()

    def call(
        self, method: str, path: str, body: Any = None, token: str = ""
    ) -> tuple[int, Any]:
        """Send JSON, return the status and the decoded JSON answer."""
        headers = "Content-Type: application/json\r\n"
        if token:
            headers += f"Authorization: Bearer {token}\r\n"
        data = b"" if body is None else json.dumps(body).encode()
        status, raw = self.request(method, path, data, headers)
        return status, json.loads(raw) if raw else None


# -- load ----------------------------------------------------------------------

# A request as the load generator sends it: method, path, body, header lines.
Prepared = tuple[str, str, bytes, str]


@dataclass
class Tally:
    """What came back from one phase."""

    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    codes: collections.Counter[str] = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)
    faults: int = 0
    elapsed: float = 0.0

    def add(self, status: int, body: bytes, latency: float) -> None:
        """Count an answer; only successful answers are timed."""
        self.statuses[status] += 1
        if status < 300:
            self.latencies.append(latency)
        else:
            try:
                self.codes[str(json.loads(body).get("code"))] += 1
            except (ValueError, AttributeError):
                self.codes[f"http {status}"] += 1

    def merge(self, other: Tally) -> None:
        self.statuses.update(other.statuses)
        self.codes.update(other.codes)
        self.latencies.extend(other.latencies)
        self.faults += other.faults

    def count(self, status: int) -> int:
        return self.statuses[status]


def closed_loop(
    port: int,
    prepare: Callable[[random.Random], Prepared],
    connections: int,
    seconds: float,
    limit: int | None = None,
) -> Tally:
    """Keep ``connections`` requests in flight for ``seconds`` or ``limit`` requests."""
    tallies = [Tally() for _ in range(connections)]
    deadline = time.monotonic() + seconds
    remaining = [limit if limit is not None else -1]
    lock = threading.Lock()

    def take() -> bool:
        if remaining[0] < 0:
            return True
        with lock:
            if remaining[0] == 0:
                return False
            remaining[0] -= 1
            return True

    def run(index: int) -> None:
        rng = random.Random()
        tally = tallies[index]
        with HttpConnection("127.0.0.1", port) as http:
            while time.monotonic() < deadline and take():
                method, path, body, headers = prepare(rng)
                started = time.perf_counter()
                try:
                    status, answer = http.request(method, path, body, headers)
                except OSError:
                    tally.faults += 1
                    continue
                tally.add(status, answer, time.perf_counter() - started)

    started = time.perf_counter()
    threads = [
        threading.Thread(target=run, args=(i,), daemon=True) for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally(elapsed=time.perf_counter() - started)
    for tally in tallies:
        total.merge(tally)
    return total


def open_loop(
    port: int,
    prepare: Callable[[random.Random], Prepared],
    rate: float,
    seconds: float,
    connections: int = 48,
) -> Tally:
    """Send requests at a constant rate whatever the answers do (open loop).

    Latency runs from the moment a request was due, not from when a thread
    got to send it, so a server that falls behind shows its queue in full.
    """
    due: queue.Queue[float | None] = queue.Queue()
    tallies = [Tally() for _ in range(connections)]

    def run(index: int) -> None:
        rng = random.Random()
        tally = tallies[index]
        with HttpConnection("127.0.0.1", port) as http:
            while (scheduled := due.get()) is not None:
                method, path, body, headers = prepare(rng)
                try:
                    status, answer = http.request(method, path, body, headers)
                except OSError:
                    tally.faults += 1
                    continue
                tally.add(status, answer, time.perf_counter() - scheduled)

    threads = [
        threading.Thread(target=run, args=(i,), daemon=True) for i in range(connections)
    ]
    for thread in threads:
        thread.start()
    interval = 1.0 / rate
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        scheduled = start + n * interval
        pause = scheduled - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
        due.put(scheduled)
    for _ in threads:
        due.put(None)
    for thread in threads:
        thread.join()
    total = Tally(elapsed=time.perf_counter() - start)
    for tally in tallies:
        total.merge(tally)
    return total


def percentile(values: list[float], fraction: float) -> float:
    """Return the nearest-rank percentile; NaN when there is nothing."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


# -- the bettors ---------------------------------------------------------------


@dataclass
class Stage:
    """Users with tokens and the events they bet on."""

    admin_token: str
    tokens: list[str]
    selections: list[tuple[int, int]]
    event_ids: list[int]

    def bet(self, rng: random.Random) -> Prepared:
        event_id, selection_id = rng.choice(self.selections)
        body = (
            f'{{"event_id":{event_id},"selection_id":{selection_id},'
            f'"stake":{STAKE_CENTS},"odds":"{ANY_ODDS}","policy":"better"}}'
        ).encode()
        headers = (
            "Content-Type: application/json\r\n"
            f"Authorization: Bearer {rng.choice(self.tokens)}\r\n"
            f"Idempotency-Key: {uuid.uuid4().hex}\r\n"
        )
        return "POST", "/api/bets", body, headers


def health(rng: random.Random) -> Prepared:
    return "GET", "/api/health", b"", ""


def missing_route(rng: random.Random) -> Prepared:
    return "GET", "/api/bench-no-such-route", b"", ""


def expect(status: int, answer: Any, wanted: int, what: str) -> Any:
    if status != wanted:
        raise RuntimeError(f"{what}: HTTP {status} {answer}")
    return answer


def prepare_stage(port: int, plan: Plan) -> Stage:
    """Register, fund and log in the users; create the events; warm each owner."""
    run = uuid.uuid4().hex[:6]
    with HttpConnection("127.0.0.1", port) as http:
        admin = expect(
            *http.call(
                "POST",
                "/api/auth/login",
                {"username": "admin", "password": ADMIN_PASSWORD},
            ),
            200,
            "admin login",
        )["access_token"]
        tokens = []
        for i in range(plan.users):
            name = f"bench{run}{i}"
            user = expect(
                *http.call(
                    "POST",
                    "/api/auth/register",
                    {"username": name, "password": USER_PASSWORD},
                ),
                201,
                "register",
            )
            expect(
                *http.call(
                    "PUT",
                    f"/api/admin/users/{user['id']}/balance",
                    {"balance": FUNDING_CENTS, "reason": "benchmark funding"},
                    admin,
                ),
                200,
                "fund",
            )
            login = expect(
                *http.call(
                    "POST",
                    "/api/auth/login",
                    {"username": name, "password": USER_PASSWORD},
                ),
                200,
                "login",
            )
            tokens.append(login["access_token"])

        starts_at = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
        selections: list[tuple[int, int]] = []
        event_ids = []
        for i in range(plan.events):
            event = expect(
                *http.call(
                    "POST",
                    "/api/admin/events",
                    {
                        "kind": "football",
                        "name": f"Bench {run} match {i}",
                        "league": "Benchmark",
                        "starts_at": starts_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "home": f"Home {i}",
                        "away": f"Away {i}",
                    },
                    admin,
                ),
                201,
                "create event",
            )
            event_ids.append(event["id"])
            for market in event["markets"]:
                selections.extend(
                    (event["id"], sel["id"]) for sel in market["selections"]
                )
    return Stage(admin, tokens, selections, event_ids)


def warm_owners(port: int, stage: Stage) -> int:
    """Place one bet on each event so every event has an owner; return the count."""
    placed = 0
    rng = random.Random()
    with HttpConnection("127.0.0.1", port) as http:
        for event_id in stage.event_ids:
            selection_id = next(s for e, s in stage.selections if e == event_id)
            for _ in range(40):
                _, path, body, headers = stage.bet(rng)
                body = re.sub(
                    rb'"event_id":\d+,"selection_id":\d+',
                    f'"event_id":{event_id},"selection_id":{selection_id}'.encode(),
                    body,
                )
                status, answer = http.request("POST", path, body, headers)
                if status == 201:
                    placed += 1
                    break
                # 503 until a worker claims the event's lease; keep trying.
                time.sleep(0.25)
            else:
                raise RuntimeError(f"no worker took event {event_id}: {answer!r}")
    return placed


# -- processes: CPU, fsyncs, profiles ------------------------------------------


def cpu_by_role(processes: dict[str, list[psutil.Process]]) -> dict[str, float]:
    """Return the CPU seconds (user + system) used so far by each role."""
    used: dict[str, float] = {}
    for role, procs in processes.items():
        total = 0.0
        for proc in procs:
            with contextlib.suppress(psutil.Error):
                times = proc.cpu_times()
                total += times.user + times.system
        used[role] = total
    own = psutil.Process().cpu_times()
    used["load generator"] = own.user + own.system
    return used


# MariaDB's counters of durable work: InnoDB's fsyncs (data and redo log
# files alike since 10.8, where Innodb_os_log_fsyncs went away), its redo
# log writes, and the commits of statements and of storage engines.
MARIADB_COUNTERS = (
    "Innodb_data_fsyncs",
    "Innodb_os_log_fsyncs",
    "Innodb_log_writes",
    "Com_commit",
    "Handler_commit",
    "Questions",
)


def mariadb_counters() -> dict[str, int]:
    from oddsmith import db

    names = ", ".join(f"'{name}'" for name in MARIADB_COUNTERS)
    rows = db.database.execute_sql(
        f"SHOW GLOBAL STATUS WHERE Variable_name IN ({names})"
    ).fetchall()
    return {name: int(value) for name, value in rows}


class Strace:
    """Count fsync and fdatasync calls of some processes while a block runs."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.process: subprocess.Popen[str] | None = None
        self.calls = 0
        self.started = 0.0
        # How long strace was attached, to weigh the background rate against.
        self.seconds = 0.0

    @staticmethod
    def available() -> bool:
        return shutil.which("strace") is not None

    def __enter__(self) -> Strace:
        args = ["strace", "-f", "-c", "-e", "trace=fsync,fdatasync"]
        for pid in self.pids:
            args += ["-p", str(pid)]
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        # Attaching takes a moment; calls made before it are not counted.
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        self.seconds = time.monotonic() - self.started
        _, report = self.process.communicate(timeout=30)
        for line in report.splitlines():
            parts = line.split()
            if parts and parts[-1] in ("fsync", "fdatasync") and len(parts) >= 5:
                self.calls += int(parts[3])


def profile_targets(processes: dict[str, list[psutil.Process]]) -> dict[str, int]:
    """Name the processes worth profiling: workers, game API workers, broker."""
    targets = {}
    for role, key in (
        ("workers", "worker"),
        ("game API", "game"),
        ("broker", "broker"),
    ):
        procs = processes.get(role, [])
        if role == "game API":
            # gunicorn's master only watches; its children serve the requests.
            masters = {p.pid for p in procs if p.pid not in _children(procs)}
            procs = [p for p in procs if p.pid not in masters]
        for i, proc in enumerate(procs):
            targets[f"{key}-{i + 1}"] = proc.pid
    return targets


def _children(procs: list[psutil.Process]) -> set[int]:
    return {child.pid for p in procs for child in p.children()}


class Profiler:
    """Sample some processes with py-spy while a block runs (collapsed stacks).

    py-spy stops at the end of the block (SIGINT makes it write what it has);
    the block may not run longer than ten minutes.
    """

    def __init__(self, out_dir: Path, targets: dict[str, int]) -> None:
        self.out_dir = out_dir
        self.targets = targets
        self.running: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> Profiler:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        for name, pid in self.targets.items():
            self.running.append(
                subprocess.Popen(
                    [
                        spy,
                        "record",
                        "--rate",
                        "100",
                        "--duration",
                        "600",
                        "--format",
                        "raw",
                        "--output",
                        str(self.out_dir / f"{name}.txt"),
                        "--pid",
                        str(pid),
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        # py-spy needs a moment to attach before the block starts.
        time.sleep(1.0)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.running:
            proc.send_signal(signal.SIGINT)
        for proc in self.running:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def summaries(self, top: int = 15) -> str:
        """Return the hottest functions of each profile, inclusive and self."""
        out = []
        for name in self.targets:
            path = self.out_dir / f"{name}.txt"
            if path.exists():
                out.append(summarize_profile(name, path.read_text(), top))
        return "\n".join(out)


# Leaf frames where a process waits for work rather than doing it; a thread
# whose last Python frame is its bootstrap waits in C (zeroconf's browser).
WAITING = re.compile(
    r"^(Poller\.poll|Socket\.poll|\w*Selector\.select|select|wait"
    r"|Thread\._bootstrap_inner)\b"
)
PROJECT = re.compile(r"\((api|broker|workers|oddsmith)/")


def summarize_profile(name: str, collapsed: str, top: int) -> str:
    """Rank frames of py-spy's collapsed stacks by inclusive and by self samples.

    Samples whose leaf is a wait for input are dropped, so the shares are of
    the time the process was busy. The inclusive ranking lists only the
    platform's own functions; the self ranking lists every function.
    """
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        # Strip line numbers so one function is one entry.
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        if WAITING.match(frames[-1]):
            continue
        count = int(count_text)
        total += count
        for frame in set(frames):
            if PROJECT.search(frame):
                inclusive[frame] += count
        own[frames[-1]] += count
    if not total:
        return f"## {name}: no busy samples\n"
    lines = [f"## {name}: {total} busy samples"]
    lines.append("inclusive (platform code):")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in inclusive.most_common(top)]
    lines.append("self:")
    lines += [f"  {100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    return "\n".join(lines) + "\n"


# -- WebSocket fan-out ----------------------------------------------------------------


class Audience:
    """Many WebSocket clients in this process, timing when a marker reaches them."""

    def __init__(self) -> None:
        self.sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.marker = ""
        self.reached: set[int] = set()
        self.last_arrival = 0.0
        self.all_arrived: asyncio.Future[None] | None = None
        self.failures = 0

    async def connect(self, url: str, count: int, parallel: int = 100) -> None:
        gate = asyncio.Semaphore(parallel)

        async def one() -> None:
            async with gate:
                try:
                    ws = await ws_connect(url, open_timeout=30, max_size=2**20)
                except Exception:
                    self.failures += 1
                    return
                self.sockets.append(ws)
                self.readers.append(asyncio.create_task(self._read(ws)))

        await asyncio.gather(*(one() for _ in range(count)))

    async def _read(self, ws: ClientConnection) -> None:
        with contextlib.suppress(Exception):
            async for message in ws:
                if self.marker and self.marker in message:
                    if id(ws) in self.reached:
                        continue
                    self.reached.add(id(ws))
                    self.last_arrival = time.perf_counter()
                    done = self.all_arrived
                    if (
                        len(self.reached) == len(self.sockets)
                        and done
                        and not done.done()
                    ):
                        done.set_result(None)

    @property
    def arrived(self) -> int:
        return len(self.reached)

    def expect(self, marker: str) -> asyncio.Future[None]:
        self.marker, self.reached = marker, set()
        self.all_arrived = asyncio.get_running_loop().create_future()
        return self.all_arrived

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(
            *(ws.close() for ws in self.sockets), return_exceptions=True
        )
        self.sockets.clear()


def versioned(payload: dict[str, Any], version: int) -> tuple[str, str]:
    """Return the update with ``version`` set, encoded, and a marker to find it."""
    payload["event"]["version"] = version
    text = json.dumps(payload, separators=(",", ":"))
    return text, f'"version":{version},'


class Publisher:
    """Publish updates into the broker as a worker does, after a commit."""

    def __init__(self, endpoint: str, topic: bytes) -> None:
        self.socket: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.PUB)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.topic = topic

    def send(self, text: str) -> None:
        self.socket.send_multipart([self.topic, text.encode()])

    async def publish(self, text: str) -> None:
        self.send(text)

    async def until_seen(
        self, audience: Audience, payload: dict[str, Any], version: int
    ) -> None:
        """Repeat an update until it arrives somewhere.

        A new publisher's messages are dropped until the broker has passed it
        the relays' subscriptions, which takes a moment after connecting.
        """
        text, marker = versioned(payload, version)
        seen = audience.expect(marker)
        for _ in range(100):
            self.send(text)
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(seen), 0.1)
            if audience.arrived:
                return
        raise RuntimeError("no published update reached any WebSocket client")

    def close(self) -> None:
        self.socket.close()


async def _listening(server: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """Return the port the bare server announces once it listens."""
    assert server.stdout is not None and server.stderr is not None
    line = await asyncio.wait_for(
        asyncio.to_thread(server.stdout.readline), timeout=timeout
    )
    if not line.strip().isdigit():
        server.wait(timeout=10)
        raise RuntimeError(f"the bare server failed: {server.stderr.read()!r}")
    return int(line)


async def _timed_round(
    audience: Audience,
    marker: str,
    send: Callable[[], Awaitable[None]],
    timeout: float = 30,
) -> float:
    """Return the seconds from ``send`` until the last client has the marker."""
    done = audience.expect(marker)
    started = time.perf_counter()
    await send()
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(done, timeout)
    return audience.last_arrival - started


async def fanout(
    cluster: Cluster, payload: dict[str, Any], clients: int, rounds: int
) -> tuple[list[float], list[float], int, int]:
    """Time one update to every client: the platform, then a bare server.

    Both audiences stay connected and the rounds alternate, so a neighbour's
    burst of load on the machine hits both sides alike. The platform's update
    enters the broker as a worker's would, and goes through the relay and
    nginx; the bare server is a `websockets` server that broadcasts what one
    control client sends it.
    """
    server = subprocess.Popen(
        [sys.executable, "-P", __file__, "--bare-server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    platform, bare = Audience(), Audience()
    publisher = Publisher(
        cluster.broker_publish_in, f"event.{payload['event']['id']}".encode()
    )
    control: ClientConnection | None = None
    try:
        await platform.connect(f"ws://127.0.0.1:{cluster.port}/ws", clients)
        port = await _listening(server)
        await bare.connect(f"ws://127.0.0.1:{port}", clients)
        control = sender = await ws_connect(f"ws://127.0.0.1:{port}", open_timeout=30)
        # One untimed round each, so neither side pays for first-use costs
        # (compression contexts, caches) in the timed rounds.
        await publisher.until_seen(platform, payload, SYNTHETIC_VERSION - 1)
        text, marker = versioned(payload, SYNTHETIC_VERSION - 1)
        await _timed_round(bare, marker, functools.partial(sender.send, text))
        await asyncio.sleep(0.5)

        platform_times, bare_times = [], []
        for n in range(rounds):
            text, marker = versioned(payload, SYNTHETIC_VERSION + n)
            platform_times.append(
                await _timed_round(
                    platform, marker, functools.partial(publisher.publish, text)
                )
            )
            await asyncio.sleep(0.2)
            bare_times.append(
                await _timed_round(bare, marker, functools.partial(sender.send, text))
            )
            await asyncio.sleep(0.2)
        return platform_times, bare_times, len(platform.sockets), len(bare.sockets)
    finally:
        publisher.close()
        if control is not None:
            await control.close()
        await platform.close()
        await bare.close()
        server.terminate()
        server.wait(timeout=10)


def bare_server() -> None:
    """Broadcast whatever one client sends to every other client; nothing else.

    The port is chosen by the system and printed, since a port found free
    beforehand may be taken by an outgoing connection before it is bound.
    """

    async def main() -> None:
        clients: set[ServerConnection] = set()

        async def handler(ws: ServerConnection) -> None:
            clients.add(ws)
            try:
                async for message in ws:
                    broadcast(clients - {ws}, message)
            finally:
                clients.discard(ws)

        # The same connection options as the relay, so only the work differs.
        async with serve(
            handler,
            "127.0.0.1",
            0,
            max_size=4096,
            ping_interval=20,
            ping_timeout=20,
            write_limit=256 * 1024,
        ) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            print(port, flush=True)
            await asyncio.get_running_loop().create_future()

    asyncio.run(main())


async def relay_capacity(
    cluster: Cluster, relay: psutil.Process, payload: dict[str, Any], clients: int
) -> dict[str, float]:
    """Open ``clients`` sockets straight to one relay; measure what it holds."""
    before = relay.memory_info().rss
    audience = Audience()
    started = time.perf_counter()
    await audience.connect(f"ws://127.0.0.1:{cluster.relay_port}/", clients)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(1.0)
    after = relay.memory_info().rss
    held = len(audience.sockets)

    # Proof that the relay still serves them all: one update to everyone.
    publisher = Publisher(
        cluster.broker_publish_in, f"event.{payload['event']['id']}".encode()
    )
    try:
        sent = time.perf_counter()
        await publisher.until_seen(audience, payload, SYNTHETIC_VERSION + 999_999)
        if audience.all_arrived is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(audience.all_arrived, 20)
        delivered = audience.arrived
        delivery_seconds = audience.last_arrival - sent
        # Compression state is made on a socket's first message, so the
        # memory after one update is what a live relay really holds.
        await asyncio.sleep(1.0)
        after_update = relay.memory_info().rss
    finally:
        publisher.close()
        await audience.close()
    return {
        "asked": clients,
        "held": held,
        "failed": audience.failures,
        "delivered": delivered,
        "delivery_seconds": delivery_seconds,
        "rss_before": before,
        "rss_after": after,
        "rss_after_update": after_update,
        "connect_seconds": connect_seconds,
    }


def raise_file_limit() -> int:
    """Raise this process's open-file limit to the hard limit; return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- the report ----------------------------------------------------------------


@dataclass
class Row:
    label: str
    measured: str
    reference: str = "-"
    ratio: str = "-"


def fmt_ratio(measured: float, reference: float) -> str:
    if not reference or measured != measured or reference != reference:
        return "n/a"
    return f"{measured / reference:.2f}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def table(rows: list[Row]) -> str:
    """Render the rows as a Markdown table with the ratio in the last column."""
    head = ("figure", "platform", "reference", "ratio")
    cells = [head, *((r.label, r.measured, r.reference, r.ratio) for r in rows)]
    widths = [max(len(c[i]) for c in cells) for i in range(4)]

    def line(cols: tuple[str, ...]) -> str:
        return (
            "| "
            + " | ".join(c.ljust(w) for c, w in zip(cols, widths, strict=True))
            + " |"
        )

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(head), rule, *(line(c) for c in cells[1:])])


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    memory = psutil.virtual_memory().total / 2**30
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs ({model}), {memory:.1f} GiB RAM, "
        f"load average before the run {load}"
    )


def git_commit() -> str:
    """Name the commit measured, and say so when the platform's code differs."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        changed = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "api",
                "broker",
                "workers",
                "oddsmith",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    if not head:
        return "unknown"
    return f"{head} with uncommitted changes" if changed else head


# -- the run -------------------------------------------------------------------


@dataclass
class Options:
    quick: bool
    db_url: str
    data_dir: Path | None
    workers: int
    gunicorn_workers: int
    relay_clients: int | None
    fanout_clients: int | None
    profile_dir: Path | None


class Bench:
    """The phases of one run against one cluster; each adds rows and notes."""

    def __init__(self, cluster: Cluster, plan: Plan, options: Options) -> None:
        self.cluster = cluster
        self.port = cluster.port
        self.plan = plan
        self.options = options
        self.sqlite = cluster.db_url.startswith("sqlite")
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.profile = ""
        # Every bet answered 201, to compare with the rows stored at the end.
        self.accepted = 0
        self.stage: Stage | None = None
        self.processes: dict[str, list[psutil.Process]] = {}
        self.cpu_rows: list[Row] = []

    def bet(self, rng: random.Random) -> Prepared:
        assert self.stage is not None
        return self.stage.bet(rng)

    def run(self) -> None:
        say(f"registering, funding and logging in {self.plan.users} users")
        self.stage = prepare_stage(self.port, self.plan)
        self.accepted += warm_owners(self.port, self.stage)
        self.processes = self.cluster.processes()
        # Warm both paths so the first measurement pays for no lazy imports.
        closed_loop(self.port, health, self.plan.connections, self.plan.warmup_seconds)
        warm = closed_loop(
            self.port, self.bet, self.plan.connections, self.plan.warmup_seconds
        )
        self.accepted += warm.count(201)

        bet_rate = self.throughput()
        self.latency(max(1.0, bet_rate / 2))
        self.fsyncs()
        self.durability()
        payload = self.sample_update()
        self.fanout(payload)
        self.relay(payload)

    def throughput(self) -> float:
        """Bets and the reference route at full speed; CPU per bet by process."""
        plan = self.plan
        say("reference: GET /api/health at full speed (closed loop)")
        reference = closed_loop(self.port, health, plan.connections, plan.rate_seconds)
        reference_rate = reference.count(200) / reference.elapsed
        no_db = closed_loop(
            self.port, missing_route, plan.connections, plan.warmup_seconds
        )
        no_db_rate = no_db.count(404) / no_db.elapsed

        say("accepted bets at full speed (closed loop)")
        profiler: Profiler | contextlib.nullcontext[None] = contextlib.nullcontext()
        if self.options.profile_dir is not None:
            profiler = Profiler(
                self.options.profile_dir, profile_targets(self.processes)
            )
        cpu_before, machine_before = cpu_by_role(self.processes), psutil.cpu_times()
        with profiler:
            bets = closed_loop(self.port, self.bet, plan.connections, plan.rate_seconds)
        cpu_after, machine_after = cpu_by_role(self.processes), psutil.cpu_times()
        if isinstance(profiler, Profiler):
            self.profile = profiler.summaries()

        won = bets.count(201)
        self.accepted += won
        bet_rate = won / bets.elapsed
        self.rows.append(
            Row(
                ROW_THROUGHPUT,
                f"{bet_rate:.0f}/s",
                f"{reference_rate:.0f}/s (GET /api/health)",
                fmt_ratio(bet_rate, reference_rate),
            )
        )
        idle = (machine_after.idle - machine_before.idle) / (
            sum(machine_after) - sum(machine_before)
        )
        self.notes.append(
            f"closed loop, {plan.connections} connections, {bets.elapsed:.1f} s: "
            f"{won} bets accepted, refusals {dict(bets.codes) or 'none'}, "
            f"{bets.faults} connection faults; the machine was {100 * idle:.0f}% "
            "idle meanwhile"
        )
        self.notes.append(
            f"GET /api/health {reference_rate:.0f}/s; a route with no database "
            f"query (Falcon's 404) {no_db_rate:.0f}/s"
        )
        self.cpu_rows = self._cpu_rows(cpu_before, cpu_after, won)
        return bet_rate

    def _cpu_rows(
        self, before: dict[str, float], after: dict[str, float], bets: int
    ) -> list[Row]:
        rows = []
        for role in (*CPU_ROLES, "auth API", "supervisord", "load generator"):
            label = f"{ROW_CPU}: {role}"
            if role == "database" and self.sqlite:
                rows.append(Row(label, "inside workers (SQLite is a library)"))
            elif role not in before:
                rows.append(Row(label, "n/a (process not found)"))
            else:
                used = after[role] - before[role]
                if role == "database":
                    label += " (whole server, shared)"
                rows.append(Row(label, f"{1e6 * used / max(bets, 1):.0f} µs"))
        return rows

    def latency(self, rate: float) -> None:
        """Bets, then the reference route, at the same constant arrival rate."""
        seconds = self.plan.latency_seconds
        say(f"latency at {rate:.0f}/s (open loop): bets, then GET /api/health")
        bets = open_loop(self.port, self.bet, rate, seconds)
        self.accepted += bets.count(201)
        reference = open_loop(self.port, health, rate, seconds)
        p50, p99 = percentile(bets.latencies, 0.5), percentile(bets.latencies, 0.99)
        r50 = percentile(reference.latencies, 0.5)
        r99 = percentile(reference.latencies, 0.99)
        self.rows.append(
            Row(ROW_P50, ms(p50), f"{ms(r50)} (health)", fmt_ratio(p50, r50))
        )
        self.rows.append(
            Row(ROW_P99, ms(p99), f"{ms(r99)} (health)", fmt_ratio(p99, r99))
        )
        self.notes.append(
            f"open loop at {rate:.0f}/s for {seconds:.0f} s: {len(bets.latencies)} "
            f"accepted bets timed, refusals {dict(bets.codes) or 'none'}"
        )

    def fsyncs(self) -> None:
        """Count fsyncs and commits over some bets, less what idle ticks cost."""
        n_bets = self.plan.fsync_bets
        say(f"fsyncs and commits over {n_bets} bets")
        idle_seconds = 2.0

        def bets() -> Tally:
            return closed_loop(self.port, self.bet, 4, 120, limit=n_bets)

        if self.sqlite:
            self.rows.append(Row(ROW_COMMIT, "n/a (SQLite counts no commits)"))
            if not Strace.available():
                self.rows.append(Row(ROW_FSYNC, "n/a (strace is not installed)"))
                self.accepted += bets().count(201)
                return
            pids = [
                proc.pid
                for role, procs in self.processes.items()
                if role not in ("nginx", "database")
                for proc in procs
            ]
            with Strace(pids) as idle:
                time.sleep(idle_seconds)
            with Strace(pids) as busy:
                sample = bets()
            won = max(sample.count(201), 1)
            self.accepted += sample.count(201)
            net = busy.calls - idle.calls / idle.seconds * busy.seconds
            self.rows.append(
                Row(ROW_FSYNC, f"{net / won:.2f} (strace, idle rate subtracted)")
            )
            self.notes.append(
                f"fsyncs: {busy.calls} fsync/fdatasync calls in {busy.seconds:.1f} s "
                f"while {won} bets were accepted under strace; "
                f"{idle.calls / idle.seconds:.1f}/s when idle (lease and heartbeat "
                "ticks)"
            )
            return

        with database(self.cluster.db_url):
            start = mariadb_counters()
            time.sleep(idle_seconds)
            before = mariadb_counters()
            began = time.monotonic()
            sample = bets()
            busy_seconds = time.monotonic() - began
            after = mariadb_counters()
        won = max(sample.count(201), 1)
        self.accepted += sample.count(201)

        def per_bet(name: str) -> str:
            if name not in after:
                return "n/a"
            idle_rate = (before[name] - start[name]) / idle_seconds
            net = after[name] - before[name] - idle_rate * busy_seconds
            return f"{net / won:.2f}"

        fsyncs = "Innodb_data_fsyncs"
        if "Innodb_os_log_fsyncs" in after:
            fsyncs = "Innodb_os_log_fsyncs"
        self.rows.append(
            Row(
                ROW_FSYNC,
                f"{per_bet(fsyncs)} ({fsyncs}), "
                f"{per_bet('Innodb_log_writes')} redo log writes",
            )
        )
        self.rows.append(
            Row(
                ROW_COMMIT,
                f"{per_bet('Com_commit')} (Com_commit), "
                f"{per_bet('Handler_commit')} (Handler_commit)",
            )
        )
        self.notes.append(
            "fsyncs and commits: MariaDB's global counters less their rate in "
            f"{idle_seconds:.0f} idle seconds before; other clients of the same "
            f"server count too; {won} bets in {busy_seconds:.1f} s; "
            f"{per_bet('Questions')} SQL statements per bet (Questions)"
        )

    def durability(self) -> None:
        """Check that every bet answered 201 is a row in the database."""
        from oddsmith import db

        assert self.stage is not None
        with database(self.cluster.db_url):
            stored = (
                db.Bet.select().where(db.Bet.event.in_(self.stage.event_ids)).count()
            )
        verdict = "match" if stored == self.accepted else "MISMATCH"
        self.notes.append(
            f"durability: {self.accepted} bets answered 201, {stored} stored "
            f"({verdict})"
        )

    def sample_update(self) -> dict[str, Any]:
        """Return a real event update to replay in the WebSocket phases."""
        assert self.stage is not None
        with HttpConnection("127.0.0.1", self.port) as http:
            event = expect(
                *http.call("GET", f"/api/events/{self.stage.event_ids[0]}"),
                200,
                "event",
            )
        return {"type": "event", "event": event}

    def fanout(self, payload: dict[str, Any]) -> None:
        clients = self.options.fanout_clients or self.plan.fanout_clients
        rounds = self.plan.fanout_rounds
        say(f"one update to {clients} clients: the platform, then bare websockets")
        profiler: Profiler | contextlib.nullcontext[None] = contextlib.nullcontext()
        if self.options.profile_dir is not None:
            relay = {"relay": self.processes["relay"][0].pid}
            profiler = Profiler(self.options.profile_dir, relay)
        with profiler:
            platform_times, bare_times, held, bare_held = asyncio.run(
                fanout(self.cluster, payload, clients, rounds)
            )
        if isinstance(profiler, Profiler):
            self.profile += "\n" + profiler.summaries()
        p50, b50 = percentile(platform_times, 0.5), percentile(bare_times, 0.5)
        self.rows.append(
            Row(
                f"{ROW_FANOUT} ({held} clients, median)",
                ms(p50),
                f"{ms(b50)} (bare websockets)",
                fmt_ratio(p50, b50),
            )
        )
        self.notes.append(
            f"fan-out of a {len(json.dumps(payload))}-byte update over "
            f"{rounds} rounds; through the broker, relay and nginx: "
            f"{', '.join(ms(t) for t in platform_times)}; bare websockets with "
            f"{bare_held} clients: {', '.join(ms(t) for t in bare_times)}"
        )

    def relay(self, payload: dict[str, Any]) -> None:
        clients = self.options.relay_clients or self.plan.relay_clients
        relay = self.processes["relay"][0]
        say(f"relay capacity with {clients} clients")
        held = asyncio.run(relay_capacity(self.cluster, relay, payload, clients))
        per = (held["rss_after_update"] - held["rss_before"]) / max(held["held"], 1)
        self.rows.append(
            Row(
                ROW_HELD,
                f"{held['held']:.0f} of {held['asked']:.0f}, "
                f"an update reached {held['delivered']:.0f}",
            )
        )
        self.rows.append(
            Row(ROW_MEMORY, f"{per / 1024:.1f} KiB (RSS delta, after one update)")
        )
        mib = {key: held[key] / 2**20 for key in held if key.startswith("rss")}
        self.notes.append(
            f"relay: clients connected straight to it (no nginx); "
            f"{held['failed']:.0f} failed to connect; all connected in "
            f"{held['connect_seconds']:.1f} s; one update reached them in "
            f"{ms(held['delivery_seconds'])}; RSS {mib['rss_before']:.0f} MiB "
            f"before, {mib['rss_after']:.0f} MiB connected, "
            f"{mib['rss_after_update']:.0f} MiB after the update"
        )


def measure(options: Options) -> int:
    """Start a cluster, run every phase, print the table; return the exit code."""
    plan = QUICK if options.quick else FULL
    file_limit = raise_file_limit()
    temporary = options.data_dir is None
    data_dir = options.data_dir or Path(tempfile.mkdtemp(prefix="oddsmith-bench-"))
    db_url = options.db_url or f"sqlite:///{data_dir / 'oddsmith.db'}"
    if not db_url.startswith("sqlite"):
        say(f"emptying the database {db_url}")
        empty_database(db_url)
    cluster = Cluster(
        data_dir, db_url, free_port_block(), options.workers, options.gunicorn_workers
    )
    kind = (
        "SQLite (WAL, synchronous=FULL)" if db_url.startswith("sqlite") else "MariaDB"
    )
    header = [
        f"Oddsmith platform benchmark, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, "
        f"commit {git_commit()}, {'--quick' if options.quick else 'full'} run",
        f"machine: {machine()}; open-file limit {file_limit}",
        f"platform: {kind}; {options.workers} workers, {options.gunicorn_workers} "
        "gunicorn workers for the game API, 1 relay, nginx with 1 worker process",
    ]
    say(header[0])
    say(f"starting the platform on port {cluster.port} in {data_dir}")
    bench = Bench(cluster, plan, options)
    try:
        cluster.start()
        bench.run()
    finally:
        say("stopping the platform")
        cluster.stop()
        if temporary:
            shutil.rmtree(data_dir, ignore_errors=True)

    print("\n".join(header))
    print()
    print(table(bench.rows + bench.cpu_rows))
    print()
    for note in bench.notes:
        print(f"- {note}")
    if bench.profile:
        print()
        print(bench.profile)
    return 0


def parse(argv: list[str]) -> Options | int:
    parser = argparse.ArgumentParser(
        prog="bench/run",
        description="Benchmark the whole Oddsmith platform on this machine.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small sizes; finishes in about a minute"
    )
    parser.add_argument(
        "--db",
        default="",
        help="database URL (mysql://user@host:port/name); its Oddsmith tables "
        "are DROPPED first, so name a database of its own. Default: SQLite.",
    )
    parser.add_argument("--data-dir", type=Path, help="keep the cluster's files here")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument(
        "--relay-clients", type=int, help="connections for the relay capacity test"
    )
    parser.add_argument(
        "--fanout-clients", type=int, help="clients for the update fan-out test"
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="record py-spy profiles of workers, game API and broker here",
    )
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.bare_server:
        bare_server()
        return 0
    return Options(
        quick=args.quick,
        db_url=args.db,
        data_dir=args.data_dir,
        workers=args.workers,
        gunicorn_workers=args.gunicorn_workers,
        relay_clients=args.relay_clients,
        fanout_clients=args.fanout_clients,
        profile_dir=args.profile,
    )


def main(argv: list[str]) -> int:
    options = parse(argv)
    if isinstance(options, int):
        return options
    return measure(options)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
