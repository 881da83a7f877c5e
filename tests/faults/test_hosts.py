"""A broker and a worker on two hosts (network namespaces made by the test).

The broker finds the worker through zeroconf across the link, and again through
the static list with multicast switched off; either way a bet sent to the
broker is placed by the worker on the other host.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from oddsmith import db, events, ledger

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("ip") is None,
        reason="network namespaces need root and iproute2",
    ),
]

ROOT = Path(__file__).resolve().parents[2]


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def hosts() -> Iterator[tuple[str, str, str, str]]:
    """Yield two namespaces joined by a veth link: (host a, address a, host b, address b)."""
    tag = uuid.uuid4().hex[:6]
    a, b = f"oddsa{tag}", f"oddsb{tag}"
    net = 200 + int(tag, 16) % 50
    addr_a, addr_b = f"10.231.{net}.1", f"10.231.{net}.2"
    ip("netns", "add", a)
    ip("netns", "add", b)
    try:
        ip("link", "add", f"va{tag}", "type", "veth", "peer", "name", f"vb{tag}")
        ip("link", "set", f"va{tag}", "netns", a)
        ip("link", "set", f"vb{tag}", "netns", b)
        for ns, dev, addr in ((a, f"va{tag}", addr_a), (b, f"vb{tag}", addr_b)):
            ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            ip("-n", ns, "link", "set", dev, "multicast", "on", "up")
            ip("-n", ns, "link", "set", "lo", "up")
        yield a, addr_a, b, addr_b
    finally:
        subprocess.run(["ip", "netns", "del", a], check=False, timeout=30)
        subprocess.run(["ip", "netns", "del", b], check=False, timeout=30)


def start(
    ns: str, args: list[str], env: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "oddsmith.cli", *args],
        env=env,
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def prepare_database(url: str) -> tuple[int, int, int]:
    """Create a funded user and an open match; return (user, event, selection)."""
    database = db.open_database(url)
    with db.write_transaction():
        user = db.User.create(username="remote", password_hash="x")
        ledger.ensure_account(ledger.user_code(user.id), user.id)
        ledger.post(
            "adjust:seed",
            "adjustment",
            [(ledger.EXTERNAL_CODE, -50_000), (ledger.user_code(user.id), 50_000)],
        )
        event = events.create_football(
            home="North",
            away="South",
            league="Two hosts",
            starts_at=db.utcnow() + dt.timedelta(days=1),
        )
    selection = db.Selection.get(
        (db.Selection.event == event.id) & (db.Selection.code == "draw")
    )
    database.close()
    return user.id, event.id, selection.id


CLIENT = textwrap.dedent(
    """
    import json, sys
    from oddsmith.rpc import BrokerClient
    client = BrokerClient(sys.argv[1], timeout=20)
    result = client.call("place_bet", "event:" + sys.argv[2], json.loads(sys.argv[3]))
    print(json.dumps(result))
    """
)


def bet_through_broker(
    ns: str, broker: str, user: int, event: int, selection: int, env: dict[str, str]
) -> dict:
    args = {
        "user_id": user,
        "event_id": event,
        "selection_id": selection,
        "stake": 1_000,
        "odds": "1.01",
        "policy": "any",
        "idempotency_key": uuid.uuid4().hex,
    }
    done = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            ns,
            sys.executable,
            "-c",
            CLIENT,
            broker,
            str(event),
            json.dumps(args),
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("discovery", ["zeroconf", "static"])
def test_broker_routes_to_a_worker_on_another_host(
    hosts: tuple[str, str, str, str], tmp_path: Path, discovery: str
) -> None:
    """A bet sent to the broker on host A is placed by the worker on host B, found by zeroconf or by the static list."""
    host_a, addr_a, host_b, addr_b = hosts
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    user, event, selection = prepare_database(url)
    worker_endpoint = f"tcp://{addr_b}:7301"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ODDSMITH_")},
        "ODDSMITH_DB": url,
        "ODDSMITH_DATA_DIR": str(tmp_path),
        "ODDSMITH_BROKER_BIND": f"tcp://{addr_a}:7201",
        "ODDSMITH_BROKER_PUBLISH_IN": f"tcp://{addr_a}:7202",
        "ODDSMITH_BROKER_PUBLISH_OUT": f"tcp://{addr_a}:7203",
        "ODDSMITH_DISCOVERY": discovery,
    }
    if discovery == "static":
        # Multicast off on both ends: only the static list can find the worker.
        for ns in (host_a, host_b):
            for dev in subprocess.run(
                ["ip", "-n", ns, "-o", "link", "show", "type", "veth"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split("\n"):
                if dev:
                    name = dev.split(":")[1].strip().split("@")[0]
                    ip("-n", ns, "link", "set", name, "multicast", "off")
        env["ODDSMITH_WORKERS"] = f"hostb={worker_endpoint}"
    broker = start(
        host_a,
        ["broker"],
        {**env, "ODDSMITH_ZEROCONF_INTERFACES": addr_a},
        tmp_path / "broker.log",
    )
    worker = start(
        host_b,
        ["worker", "--name", "hostb"],
        {
            **env,
            "ODDSMITH_WORKER_BIND": worker_endpoint,
            "ODDSMITH_ZEROCONF_INTERFACES": addr_b,
            "ODDSMITH_HOST": addr_b,
        },
        tmp_path / "worker.log",
    )
    try:
        result = bet_through_broker(
            host_a, f"tcp://{addr_a}:7201", user, event, selection, env
        )
        assert result["bet"]["stake"] == 1_000
        database = db.open_database(url, create=False)
        assert db.Lease.get_by_id(events.resource(event)).owner == "hostb"
        assert db.Bet.select().count() == 1
        assert ledger.balance_of(ledger.user_code(user)) == 49_000
        database.close()
        if discovery == "zeroconf":
            assert (
                "worker hostb found at " + worker_endpoint
                in (tmp_path / "broker.log").read_text()
            )
    finally:
        for process in (worker, broker):
            process.terminate()
        for process in (worker, broker):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
