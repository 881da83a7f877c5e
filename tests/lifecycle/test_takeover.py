"""Ownership on a running platform: what a killed worker held is held again."""

from __future__ import annotations

import time

import pytest

from oddsmith.config import load_settings
from tests.harness import Platform
from tests.lifecycle.helpers import (
    bet,
    create_match,
    held_lease,
    kill_worker,
    new_bettor,
    wait_restarted,
)
from workers.worker import TICK_SECONDS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_every_match_of_a_killed_worker_is_taken_over_and_takes_bets(
    platform: Platform, admin: str
) -> None:
    """Killing a worker that holds several open matches gets each of them held again, under a new fence, within a lease and a tick, and each takes a bet."""
    lou = new_bettor(platform, admin, "orphan_lou", 50_000)
    matches = [
        create_match(platform, admin, f"Orphan {i} FC", f"Heir {i} FC")
        for i in range(6)
    ]
    holders = {m["id"]: held_lease(platform, f"event:{m['id']}") for m in matches}
    victim = holders[matches[0]["id"]].owner
    orphans = [m for m in matches if holders[m["id"]].owner == victim]

    pid = kill_worker(platform, victim)
    killed_at = time.monotonic()
    # A lease and a tick, plus slack for a loaded machine.
    limit = load_settings(platform.env).lease_seconds + TICK_SECONDS + 2.5
    for match in orphans:
        held_lease(
            platform,
            f"event:{match['id']}",
            timeout=30,
            above_fence=holders[match["id"]].fence,
        )
    taken_after = time.monotonic() - killed_at
    assert taken_after < limit, taken_after

    for match in orphans:
        assert bet(platform, lou, match, "draw", 500)["status"] == "open"
    wait_restarted(platform, victim, pid)
