"""Drive a running platform as its bettors and operators do, and look inside it.

Everything here talks to the platform over HTTP, except what an operator would
do at the console: read the lease table, run `oddsmith audit`, kill a process.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import peewee as pw
import requests

from oddsmith import db
from tests.harness import ROOT, Platform

T = TypeVar("T")

# The selections of a football match that win with each outcome.
WINNING_CODES = {
    "home": frozenset({"home", "1x", "12"}),
    "draw": frozenset({"draw", "1x", "x2"}),
    "away": frozenset({"away", "x2", "12"}),
}


@dataclass(frozen=True)
class Bettor:
    id: int
    name: str
    token: str


def wait_for(
    condition: Callable[[], T | None],
    timeout: float,
    what: str,
    interval: float = 0.05,
) -> T:
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"waited {timeout} s for {what}")
        time.sleep(interval)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- bettors and events ----------------------------------------------------------


def new_bettor(platform: Platform, admin: str, name: str, balance: int) -> Bettor:
    """Register ``name``, log in, and deposit ``balance`` cents."""
    user = platform.register(name)
    token = platform.login(name)
    resp = platform.call(
        "PUT",
        f"/api/admin/users/{user['id']}/balance",
        admin,
        {"balance": balance, "reason": "test deposit"},
    )
    assert resp.status_code == 200, resp.text
    return Bettor(user["id"], name, token)


def create_match(
    platform: Platform,
    admin: str,
    home: str,
    away: str,
    starts_in: dt.timedelta = dt.timedelta(days=1),
) -> dict[str, Any]:
    """Create a football match through the admin API; return the event."""
    starts_at = (dt.datetime.now(dt.UTC) + starts_in).replace(microsecond=0)
    resp = platform.call(
        "POST",
        "/api/admin/events",
        admin,
        {
            "kind": "football",
            "home": home,
            "away": away,
            "league": "Lifecycle tests",
            "starts_at": starts_at.isoformat(),
        },
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def selection(event: dict[str, Any], code: str) -> dict[str, Any]:
    """Return the selection with ``code`` from any market of the event."""
    return next(
        sel
        for market in event["markets"]
        for sel in market["selections"]
        if sel["code"] == code
    )


def try_bet(
    platform: Platform,
    bettor: Bettor,
    event: dict[str, Any],
    code: str,
    stake: int,
    session: requests.Session | None = None,
) -> requests.Response:
    """Back ``code`` at whatever its odds are when the bet arrives."""
    http = session or platform.session
    return http.post(
        f"{platform.url}/api/bets",
        json={
            "event_id": event["id"],
            "selection_id": selection(event, code)["id"],
            "stake": stake,
            "odds": "1.01",
            "policy": "any",
        },
        headers={**auth(bettor.token), "Idempotency-Key": uuid.uuid4().hex},
        timeout=30,
    )


def bet(
    platform: Platform,
    bettor: Bettor,
    event: dict[str, Any],
    code: str,
    stake: int,
    session: requests.Session | None = None,
) -> dict[str, Any]:
    """Back ``code`` and return the accepted bet."""
    resp = try_bet(platform, bettor, event, code, stake, session)
    assert resp.status_code == 201, resp.text
    return resp.json()


def admin_action(
    platform: Platform,
    admin: str,
    event_id: int,
    action: str,
    body: dict[str, Any] | None = None,
) -> requests.Response:
    """POST /api/admin/events/{id}/{action}, from a fresh connection.

    A fresh connection per call lets several threads act at once.
    """
    return requests.post(
        f"{platform.url}/api/admin/events/{event_id}/{action}",
        json=body,
        headers=auth(admin),
        timeout=60,
    )


def get_event(platform: Platform, event_id: int) -> dict[str, Any]:
    resp = platform.call("GET", f"/api/events/{event_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


def balance(platform: Platform, bettor: Bettor) -> int:
    resp = platform.call("GET", "/api/me", bettor.token)
    assert resp.status_code == 200, resp.text
    return int(resp.json()["balance"])


def my_bets(platform: Platform, bettor: Bettor) -> list[dict[str, Any]]:
    resp = platform.call("GET", "/api/me/bets", bettor.token)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["bets"])


def my_ledger(platform: Platform, bettor: Bettor) -> list[dict[str, Any]]:
    resp = platform.call("GET", "/api/me/ledger", bettor.token)
    assert resp.status_code == 200, resp.text
    return list(resp.json()["entries"])


# -- the operator's console --------------------------------------------------------


def audit(platform: Platform) -> subprocess.CompletedProcess[str]:
    """Run `oddsmith audit` against the platform's database."""
    return subprocess.run(
        [sys.executable, "-m", "oddsmith.cli", "audit"],
        env=platform.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


@contextlib.contextmanager
def database(platform: Platform) -> Iterator[pw.Database]:
    """Open the platform's database from the test process."""
    handle = db.open_database(platform.env["ODDSMITH_DB"], create=False)
    try:
        yield handle
    finally:
        handle.close()


def lease(platform: Platform, resource: str) -> db.Lease:
    with database(platform):
        return db.Lease.get_by_id(resource)


@dataclass(frozen=True)
class Holder:
    """The worker holding a lease, and the fence it holds it under."""

    owner: str
    fence: int


def held_lease(
    platform: Platform,
    resource: str,
    timeout: float = 15,
    not_by: str = "",
    above_fence: int = -1,
) -> Holder:
    """Wait until a worker (not ``not_by``) holds ``resource`` above a fence."""

    def held() -> Holder | None:
        row = lease(platform, resource)
        if row.owner in (None, not_by) or row.expires_at <= time.time():
            return None
        return Holder(row.owner, row.fence) if row.fence > above_fence else None

    return wait_for(held, timeout, f"a worker to hold {resource}")


def wait_unowned(platform: Platform, event_id: int) -> None:
    """Wait until the last owner's lease on a finished event has run out."""
    wait_for(
        lambda: lease(platform, f"event:{event_id}").expires_at < time.time(),
        10,
        f"the lease of finished event {event_id} to expire",
        interval=0.2,
    )


def worker_pids(platform: Platform) -> dict[str, int]:
    """Map the name of each running worker to its process id, from supervisord."""
    pids = {}
    for line in platform.supervisorctl("status").splitlines():
        fields = line.replace(",", " ").split()
        if not (fields and fields[0].startswith("worker-") and "RUNNING" in fields):
            continue
        pid = int(fields[fields.index("pid") + 1])
        with contextlib.suppress(FileNotFoundError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            pids[argv[argv.index(b"--name") + 1].decode()] = pid
    return pids


def program_of(platform: Platform, pid: int) -> str:
    """Return the name supervisord runs a process under."""
    for line in platform.supervisorctl("status").splitlines():
        fields = line.replace(",", " ").split()
        if "pid" in fields and int(fields[fields.index("pid") + 1]) == pid:
            return fields[0]
    raise AssertionError(f"supervisord runs no pid {pid}")


def stop_program(platform: Platform, program: str) -> None:
    """Stop a supervisord program and wait until it stays stopped."""

    def stopped() -> bool:
        platform.supervisorctl("stop", program)
        return "STOPPED" in platform.supervisorctl("status", program)

    wait_for(stopped, 30, f"supervisord to stop {program}", interval=0.2)


def kill_worker(platform: Platform, name: str) -> int:
    """Kill the named worker with SIGKILL, as a crash would; return its old pid."""
    pid = worker_pids(platform)[name]
    os.kill(pid, signal.SIGKILL)
    return pid


def wait_restarted(platform: Platform, name: str, old_pid: int) -> None:
    """Wait until supervisord runs the named worker again under a new pid."""
    wait_for(
        lambda: worker_pids(platform).get(name, old_pid) != old_pid,
        30,
        f"supervisord to restart {name}",
        interval=0.2,
    )


def cpu_seconds(pid: int) -> float:
    """Return the CPU time a process has used, user plus system."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # Fields 14 and 15 of the line, counted after the parenthesised name.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
