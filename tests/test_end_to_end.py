"""The whole platform, started as `oddsmith up` does, used over HTTP and WebSocket."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from pathlib import Path

import pytest

from oddsmith import money, roulette
from tests.harness import next_message, running

pytestmark = pytest.mark.slow


def _selection(event: dict, market: str, code: str) -> dict:
    found = next(m for m in event["markets"] if m["code"] == market)
    return next(s for s in found["selections"] if s["code"] == code)


def test_bets_move_odds_caps_refuse_and_settlement_pays(
    tmp_path: Path, database_url: str
) -> None:
    """Two users bet on a match: odds move live, too much is refused, winners paid."""
    with running(tmp_path, database_url) as platform:
        admin = platform.admin_token()
        alice = platform.register("alice")
        bob = platform.register("bob")
        alice_token = platform.login("alice")
        bob_token = platform.login("bob")

        imported = platform.call(
            "POST", "/api/admin/fixtures/import", admin, {"file": "2025-26_en.1"}
        )
        assert imported.status_code == 200, imported.text
        assert imported.json()["created"] > 50

        for user in (alice, bob):
            resp = platform.call(
                "PUT",
                f"/api/admin/users/{user['id']}/balance",
                admin,
                {"balance": 500_000, "reason": "test deposit"},
            )
            assert resp.status_code == 200 and resp.json()["balance"] == 500_000

        events = platform.call("GET", "/api/events?kind=football&status=open").json()[
            "events"
        ]
        match = events[0]
        home = _selection(match, "1x2", "home")

        with platform.websocket() as ws:
            ws.send(json.dumps({"op": "auth", "token": alice_token}))
            next_message(ws, lambda m: m["type"] == "auth_ok")

            # Alice backs the home side; the socket shows its odds fall.
            placed = platform.place(
                alice_token, match["id"], home["id"], 20_000, home["odds"]
            )
            assert placed.status_code == 201, placed.text
            assert placed.json()["odds"] == home["odds"]
            update = next_message(
                ws, lambda m: m["type"] == "event" and m["event"]["id"] == match["id"]
            )
            assert update["event"]["version"] == match["version"] + 1
            after_alice = _selection(update["event"], "1x2", "home")
            assert money.parse_odds(after_alice["odds"]) < money.parse_odds(
                home["odds"]
            )
            balance = next_message(ws, lambda m: m["type"] == "balance")
            assert balance["balance"] == 500_000 - 20_000

            # Bob's bet on the same match reaches Alice's socket too.
            away = _selection(update["event"], "1x2", "away")
            placed_bob = platform.place(
                bob_token, match["id"], away["id"], 10_000, away["odds"]
            )
            assert placed_bob.status_code == 201, placed_bob.text
            update = next_message(
                ws,
                lambda m: (
                    m["type"] == "event"
                    and m["event"]["id"] == match["id"]
                    and m["event"]["version"] == match["version"] + 2
                ),
            )
            assert money.parse_odds(
                _selection(update["event"], "1x2", "away")["odds"]
            ) < (money.parse_odds(away["odds"]))

        # A stake over the maximum is refused and changes nothing.
        current = _selection(
            platform.call("GET", f"/api/events/{match['id']}").json(), "1x2", "draw"
        )
        before = platform.call("GET", "/api/me", bob_token).json()["balance"]
        refused = platform.place(
            bob_token,
            match["id"],
            current["id"],
            current["max_stake"] + 1,
            current["odds"],
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "over_max_stake"
        assert refused.json()["current"]["max_stake"] == current["max_stake"]
        assert platform.call("GET", "/api/me", bob_token).json()["balance"] == before

        # Close and settle on the home side: Alice is paid stake * locked odds.
        assert (
            platform.call(
                "POST", f"/api/admin/events/{match['id']}/close", admin
            ).status_code
            == 200
        )
        settled = platform.call(
            "POST",
            f"/api/admin/events/{match['id']}/settle",
            admin,
            {"outcome": "home"},
        )
        assert settled.status_code == 200, settled.text
        assert settled.json()["status"] == "settled"
        payout = money.payout(20_000, money.parse_odds(home["odds"]))
        me = platform.call("GET", "/api/me", alice_token).json()
        assert me["balance"] == 500_000 - 20_000 + payout
        bets = platform.call("GET", "/api/me/bets", bob_token).json()["bets"]
        assert [b["status"] for b in bets] == ["lost"]
        # Settling again pays nothing more.
        again = platform.call(
            "POST",
            f"/api/admin/events/{match['id']}/settle",
            admin,
            {"outcome": "home"},
        )
        assert again.status_code == 200
        assert (
            platform.call("GET", "/api/me", alice_token).json()["balance"]
            == me["balance"]
        )


def test_roulette_spin_from_bet_to_verified_result(
    tmp_path: Path, database_url: str
) -> None:
    """A spin settles a bet on red by a pocket anyone can recompute from the secret."""
    with running(tmp_path, database_url) as platform:
        admin = platform.admin_token()
        user = platform.register("carol")
        token = platform.login("carol")
        platform.call(
            "PUT",
            f"/api/admin/users/{user['id']}/balance",
            admin,
            {"balance": 10_000, "reason": "t"},
        )
        with platform.websocket() as ws:
            ws.send(json.dumps({"op": "auth", "token": token}))
            next_message(ws, lambda m: m["type"] == "auth_ok")
            table = platform.call(
                "POST",
                "/api/admin/roulette/tables",
                admin,
                {"name": "Table one", "betting_seconds": 4, "pause_seconds": 2},
            )
            assert table.status_code == 201, table.text
            spin = next_message(
                ws,
                lambda m: (
                    m["type"] == "event"
                    and m["event"]["kind"] == "roulette"
                    and m["event"]["status"] == "open"
                ),
                timeout=20,
            )["event"]
            assert spin["spin"]["commitment"] and spin["spin"]["secret"] is None
            red = _selection(spin, "colour", "red")
            placed = platform.place(token, spin["id"], red["id"], 1_000, red["odds"])
            assert placed.status_code == 201, placed.text
            odds = money.parse_odds(placed.json()["odds"])

            result = next_message(
                ws,
                lambda m: (
                    m["type"] == "event"
                    and m["event"]["id"] == spin["id"]
                    and m["event"]["status"] == "settled"
                ),
                timeout=20,
            )["event"]
        secret = result["spin"]["secret"]
        assert (
            hashlib.sha256(bytes.fromhex(secret)).hexdigest()
            == spin["spin"]["commitment"]
        )
        pocket = roulette.pocket(secret)
        assert result["spin"]["pocket"] == pocket
        red_pockets = {int(p) for p in _selection_outcomes(spin, "red")}
        expected = (
            10_000 - 1_000 + (money.payout(1_000, odds) if pocket in red_pockets else 0)
        )
        deadline = time.monotonic() + 10
        while platform.call("GET", "/api/me", token).json()["balance"] != expected:
            assert time.monotonic() < deadline, "balance never reflected the settlement"
            time.sleep(0.2)
        assert (
            platform.call(
                "POST", f"/api/admin/roulette/tables/{table.json()['id']}/stop", admin
            ).status_code
            == 200
        )


def _selection_outcomes(event: dict, code: str) -> list[str]:
    reds = {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}
    assert code == "red"
    return [str(p) for p in sorted(reds)]


def test_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    """Ctrl-C on `oddsmith up` ends supervisord and every process it started."""
    with running(tmp_path, f"sqlite:///{tmp_path / 'o.db'}") as platform:
        status = platform.supervisorctl("pid", "all")
        pids = [int(p) for p in status.split() if p.isdigit()]
        assert len(pids) >= 6
    assert platform.process is not None and platform.process.returncode == 0
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        raise AssertionError(f"process {pid} outlived Ctrl-C")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", platform.port)) != 0
