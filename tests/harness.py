"""Start a real local cluster for tests and talk to it as a client would."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests
from websockets.sync.client import ClientConnection, connect

ADMIN_PASSWORD = "admin-password-for-tests"
ROOT = Path(__file__).resolve().parent.parent


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port_block(size: int = 60) -> int:
    """Return a base port such that base..base+size are all free."""
    for _ in range(200):
        base = 20000 + (uuid.uuid4().int % 3000) * 10
        if all(_free(base + i) for i in range(size)):
            return base
    raise RuntimeError("no free block of ports")


class Platform:
    """A running `oddsmith up` with its own data directory and ports."""

    def __init__(self, data_dir: Path, db_url: str, **settings: str) -> None:
        base = free_port_block()
        self.port = base
        self.url = f"http://127.0.0.1:{base}"
        self.data_dir = data_dir
        # Settings of the shell running the tests must not leak into the platform.
        inherited = {
            k: v for k, v in os.environ.items() if not k.startswith("ODDSMITH_")
        }
        self.env = {
            **inherited,
            "ODDSMITH_PORT": str(base),
            "ODDSMITH_DATA_DIR": str(data_dir),
            "ODDSMITH_DB": db_url,
            "ODDSMITH_ADMIN_USER": "admin",
            "ODDSMITH_ADMIN_PASSWORD": ADMIN_PASSWORD,
            "ODDSMITH_BROKER_BIND": f"tcp://127.0.0.1:{base + 1}",
            "ODDSMITH_BROKER_PUBLISH_IN": f"tcp://127.0.0.1:{base + 2}",
            "ODDSMITH_BROKER_PUBLISH_OUT": f"tcp://127.0.0.1:{base + 3}",
            "ODDSMITH_INTERNAL_PORT_BASE": str(base + 4),
            "ODDSMITH_FIXTURES": "",
            **{f"ODDSMITH_{k.upper()}": v for k, v in settings.items()},
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.session = requests.Session()

    def start(self, timeout: float = 90) -> None:
        log = open(self.data_dir / "up.log", "wb")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "oddsmith.cli", "up", "--no-fixtures"],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"oddsmith up exited: {self.logs()}")
            with contextlib.suppress(requests.RequestException):
                ready = all(
                    self.session.get(self.url + path, timeout=2).status_code == 200
                    for path in ("/api/health", "/api/auth/health", "/")
                )
                if ready and self._workers_ready():
                    return
            time.sleep(0.3)
        raise RuntimeError(f"platform did not become ready: {self.logs()}")

    def _workers_ready(self) -> bool:
        # Ready once both workers have registered their heartbeats.
        from oddsmith import db

        db.open_database(self.env["ODDSMITH_DB"], create=False)
        try:
            return (
                db.Worker.select().where(db.Worker.last_seen > time.time() - 3).count()
                >= 2
            )
        finally:
            db.database.close()

    def logs(self) -> str:
        parts = []
        for path in sorted(self.data_dir.glob("**/*.log")):
            text = path.read_text(errors="replace")[-3000:]
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

    def supervisorctl(self, *args: str) -> str:
        conf = self.data_dir / "run" / "supervisord.conf"
        done = subprocess.run(
            [sys.executable, "-m", "supervisor.supervisorctl", "-c", str(conf), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return done.stdout

    # -- HTTP --------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        **headers: str,
    ) -> requests.Response:
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(
            method, self.url + path, json=body, headers=headers, timeout=30
        )

    def register(
        self, username: str, password: str = "correct horse battery"
    ) -> dict[str, Any]:
        resp = self.call(
            "POST",
            "/api/auth/register",
            body={"username": username, "password": password},
        )
        assert resp.status_code == 201, resp.text
        return resp.json()

    def login(self, username: str, password: str = "correct horse battery") -> str:
        resp = self.call(
            "POST", "/api/auth/login", body={"username": username, "password": password}
        )
        assert resp.status_code == 200, resp.text
        return resp.json()["access_token"]

    def admin_token(self) -> str:
        return self.login("admin", ADMIN_PASSWORD)

    def place(
        self,
        token: str,
        event_id: int,
        selection_id: int,
        stake: int,
        odds: str,
        policy: str = "better",
    ) -> requests.Response:
        return self.call(
            "POST",
            "/api/bets",
            token,
            {
                "event_id": event_id,
                "selection_id": selection_id,
                "stake": stake,
                "odds": odds,
                "policy": policy,
            },
            **{"Idempotency-Key": uuid.uuid4().hex},
        )

    def websocket(self) -> ClientConnection:
        return connect(f"ws://127.0.0.1:{self.port}/ws", open_timeout=10)


# Messages read from each socket but not yet matched: updates may arrive in
# any order (the relay folds odds updates), so none is thrown away.
_unmatched: weakref.WeakKeyDictionary[ClientConnection, list[dict[str, Any]]] = (
    weakref.WeakKeyDictionary()
)


def next_message(
    ws: ClientConnection, match: Any, timeout: float = 15
) -> dict[str, Any]:
    """Return the first message, held or new, that satisfies ``match``."""
    held = _unmatched.setdefault(ws, [])
    for index, message in enumerate(held):
        if match(message):
            return held.pop(index)
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError("no matching WebSocket message in time")
        message = json.loads(ws.recv(timeout=remaining))
        if match(message):
            return message
        held.append(message)


@contextlib.contextmanager
def running(data_dir: Path, db_url: str, **settings: str) -> Iterator[Platform]:
    platform = Platform(data_dir, db_url, **settings)
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()
