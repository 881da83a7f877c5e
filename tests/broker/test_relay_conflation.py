"""The relay folds quick odds updates of an event and drops clients that fall behind."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import zmq
from websockets.sync.client import connect

from oddsmith import db
from tests.harness import ROOT, free_port_block


def test_quick_updates_are_folded_with_a_consistent_version_chain(
    tmp_path: Path,
) -> None:
    """Fifty updates in a burst reach a client as fewer messages, ending on the last version, each naming the one before."""
    base = free_port_block(10)
    url = f"sqlite:///{tmp_path / 'relay.db'}"
    db.open_database(url).close()
    context = zmq.Context.instance()
    hub = context.socket(zmq.XPUB)
    hub.bind(f"tcp://127.0.0.1:{base}")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ODDSMITH_")},
        "ODDSMITH_DB": url,
        "ODDSMITH_DATA_DIR": str(tmp_path),
        "ODDSMITH_BROKER_PUBLISH_OUT": f"tcp://127.0.0.1:{base}",
        "ODDSMITH_WS_CONFLATE_MS": "100",
    }
    relay = subprocess.Popen(
        [sys.executable, "-m", "oddsmith.cli", "relay", "--port", str(base + 1)],
        env=env,
        cwd=ROOT,
        stdout=(tmp_path / "relay.log").open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        # The relay subscribes once it is up; its subscription reaches the hub.
        assert hub.poll(30_000), "the relay never subscribed"
        hub.recv()
        deadline = time.monotonic() + 30
        while True:
            try:
                ws = connect(f"ws://127.0.0.1:{base + 1}/ws", open_timeout=5)
                break
            except OSError:
                assert time.monotonic() < deadline, "the relay never listened"
                time.sleep(0.1)
        with ws:
            for version in range(1, 51):
                body = {"type": "event", "event": {"id": 9, "version": version}}
                hub.send_multipart([b"event.9", json.dumps(body).encode()])
            received = []
            while not received or received[-1]["event"]["version"] < 50:
                received.append(json.loads(ws.recv(timeout=10)))
        assert len(received) < 50
        assert received[0]["previous"] == received[0]["event"]["version"] - 1
        for before, after in itertools.pairwise(received):
            assert after["previous"] == before["event"]["version"]
    finally:
        relay.terminate()
        relay.wait(timeout=15)
        hub.close(linger=0)
