"""Concurrent bets of one user on events owned by different workers."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from oddsmith import db, ledger
from tests.faults.test_crashes import (
    audit_passes,
    create_matches,
    funded_users,
    wait_for,
)
from tests.harness import running

pytestmark = pytest.mark.slow


def test_racing_debits_never_overdraw(tmp_path: Path, database_url: str) -> None:
    """Twenty simultaneous bets of 500 on a balance of 1,000, spread over both workers, accept exactly two."""
    with running(tmp_path, database_url) as platform:
        admin = platform.admin_token()
        matches = create_matches(platform, admin, 6)
        ((user_id, token),) = funded_users(platform, admin, 1, 1_000)
        db.open_database(database_url, create=False)
        try:
            owners = lambda: {  # noqa: E731 - read again on every poll
                lease.owner
                for lease in db.Lease.select().where(
                    db.Lease.resource.startswith("event:")
                )
            }
            wait_for(
                lambda: None not in owners() and len(owners()) == 2, 15, "two owners"
            )

            def place(n: int) -> requests.Response:
                match = matches[n % len(matches)]
                return requests.post(
                    platform.url + "/api/bets",
                    json={
                        "event_id": match["id"],
                        "selection_id": match["markets"][0]["selections"][0]["id"],
                        "stake": 500,
                        "odds": "1.01",
                        "policy": "any",
                    },
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Idempotency-Key": uuid.uuid4().hex,
                    },
                    timeout=30,
                )

            with ThreadPoolExecutor(max_workers=20) as pool:
                statuses = list(pool.map(place, range(20)))
            codes = [r.status_code for r in statuses]
            assert sorted(codes) == [201, 201] + [422] * 18, [
                r.text for r in statuses if r.status_code not in (201, 422)
            ][:3]
            assert ledger.balance_of(ledger.user_code(user_id)) == 0
            assert db.Bet.select().count() == 2
        finally:
            db.database.close()
        assert audit_passes(platform).returncode == 0
