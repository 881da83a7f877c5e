"""Settlement on a running platform: concurrent requests, a dying owner, void, correction."""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from oddsmith import db, money
from tests.harness import Platform
from tests.lifecycle.helpers import (
    WINNING_CODES,
    Bettor,
    admin_action,
    audit,
    balance,
    bet,
    cpu_seconds,
    create_match,
    database,
    get_event,
    held_lease,
    lease,
    my_bets,
    my_ledger,
    new_bettor,
    program_of,
    stop_program,
    wait_for,
    wait_restarted,
    wait_unowned,
    worker_pids,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def paid(stake: int, odds: str) -> int:
    return money.payout(stake, money.parse_odds(odds))


def payouts_by_bet(platform: Platform, bettor: Bettor) -> Counter[int]:
    """Count the payout entries of each bet in the bettor's ledger."""
    return Counter(
        entry["bet_id"]
        for entry in my_ledger(platform, bettor)
        if entry["kind"] == "payout"
    )


def assert_audit_passes(platform: Platform) -> None:
    done = audit(platform)
    assert done.returncode == 0, done.stdout + done.stderr


def test_concurrent_settle_requests_settle_once(platform: Platform, admin: str) -> None:
    """Eight settle requests fired at once all answer 200 with the same event, and each winner is paid once."""
    match = create_match(platform, admin, "Twin Rovers", "Echo United")
    ann = new_bettor(platform, admin, "twin_ann", 100_000)
    ben = new_bettor(platform, admin, "twin_ben", 100_000)
    ann_home = bet(platform, ann, match, "home", 2_000)
    ben_1x = bet(platform, ben, match, "1x", 1_500)
    bet(platform, ben, match, "away", 3_000)
    assert admin_action(platform, admin, match["id"], "close").status_code == 200

    start = threading.Barrier(8)

    def settle(_: int) -> requests.Response:
        start.wait(timeout=10)
        return admin_action(platform, admin, match["id"], "settle", {"outcome": "home"})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(settle, range(8)))

    assert [a.status_code for a in answers] == [200] * 8, [a.text for a in answers]
    bodies = [a.json() for a in answers]
    assert all(body == bodies[0] for body in bodies)
    assert (bodies[0]["status"], bodies[0]["result"]) == ("settled", "home")
    assert balance(platform, ann) == 100_000 - 2_000 + paid(2_000, ann_home["odds"])
    assert balance(platform, ben) == (
        100_000 - 1_500 - 3_000 + paid(1_500, ben_1x["odds"])
    )
    assert payouts_by_bet(platform, ann) == {ann_home["id"]: 1}
    assert payouts_by_bet(platform, ben) == {ben_1x["id"]: 1}
    assert_audit_passes(platform)


def test_concurrent_settles_on_different_outcomes_let_one_win(
    platform: Platform, admin: str
) -> None:
    """Settling on home and on away at the same moment settles once: one 200, one 409."""
    match = create_match(platform, admin, "Split Albion", "Fork Town")
    cat = new_bettor(platform, admin, "split_cat", 50_000)
    home = bet(platform, cat, match, "home", 1_000)
    away = bet(platform, cat, match, "away", 1_000)
    assert admin_action(platform, admin, match["id"], "close").status_code == 200

    start = threading.Barrier(2)

    def settle(outcome: str) -> requests.Response:
        start.wait(timeout=10)
        return admin_action(
            platform, admin, match["id"], "settle", {"outcome": outcome}
        )

    with ThreadPoolExecutor(2) as pool:
        outcomes = ["home", "away"]
        answers = dict(zip(outcomes, pool.map(settle, outcomes), strict=True))

    assert sorted(a.status_code for a in answers.values()) == [200, 409]
    winner = next(o for o, a in answers.items() if a.status_code == 200)
    loser = next(a for a in answers.values() if a.status_code == 409)
    assert loser.json()["code"] == "invalid_transition"
    won = home if winner == "home" else away
    assert get_event(platform, match["id"])["result"] == winner
    assert payouts_by_bet(platform, cat) == {won["id"]: 1}
    assert balance(platform, cat) == 50_000 - 2_000 + paid(1_000, won["odds"])
    assert_audit_passes(platform)


def settle_until_answered(
    platform: Platform, admin: str, event_id: int, outcome: str
) -> requests.Response:
    """Settle, retrying while the platform answers 503 as the API invites to."""
    answer = admin_action(platform, admin, event_id, "settle", {"outcome": outcome})
    for _ in range(5):
        if answer.status_code != 503:
            break
        answer = admin_action(platform, admin, event_id, "settle", {"outcome": outcome})
    return answer


def test_settlement_interrupted_by_killing_the_owner_pays_each_winner_once(
    platform: Platform, admin: str
) -> None:
    """Killing the owner in the middle of settling hundreds of bets lets the next owner settle them, paying each winner exactly once."""
    match = create_match(platform, admin, "Crash Athletic", "Restart City")
    bettors = [new_bettor(platform, admin, f"crash_{i}", 5_000_000) for i in range(4)]
    codes = ["home", "draw", "away", "1x", "x2", "12"]
    # Settling a bet costs about a millisecond on SQLite and ten on MariaDB, a
    # round trip per statement: either way the settlement lasts long enough.
    per_bettor = 100 if platform.env["ODDSMITH_DB"].startswith("sqlite") else 50

    def back(bettor: Bettor) -> list[tuple[str, dict[str, Any]]]:
        plan = [
            (codes[(k + bettor.id) % len(codes)], 100 + k) for k in range(per_bettor)
        ]
        with requests.Session() as session:
            return [
                (code, bet(platform, bettor, match, code, stake, session))
                for code, stake in plan
            ]

    with ThreadPoolExecutor(len(bettors)) as pool:
        placed = dict(zip(bettors, pool.map(back, bettors), strict=True))
    assert admin_action(platform, admin, match["id"], "close").status_code == 200

    resource = f"event:{match['id']}"
    before = held_lease(platform, resource)
    pid = worker_pids(platform)[before.owner]
    cpu_before = cpu_seconds(pid)
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            settle_until_answered, platform, admin, match["id"], "home"
        )
        # CPU time counts work done, not time waited, so the kill lands inside
        # the settlement (about half a second of CPU) however loaded the host.
        wait_for(
            lambda: cpu_seconds(pid) - cpu_before >= 0.05,
            20,
            "the owner to start settling",
            interval=0.002,
        )
        os.kill(pid, signal.SIGKILL)
        settled = answer.result(timeout=90)

    assert settled.status_code == 200, settled.text
    assert (settled.json()["status"], settled.json()["result"]) == ("settled", "home")
    # Settled under a later claim of the lease: the killed process committed nothing.
    assert lease(platform, resource).fence > before.fence
    for bettor, bets in placed.items():
        winners = [b for code, b in bets if code in WINNING_CODES["home"]]
        assert payouts_by_bet(platform, bettor) == {b["id"]: 1 for b in winners}
        statuses = {b["id"]: b["status"] for b in my_bets(platform, bettor)}
        assert statuses == {
            b["id"]: "won" if code in WINNING_CODES["home"] else "lost"
            for code, b in bets
        }
        staked = sum(b["stake"] for _, b in bets)
        won = sum(paid(b["stake"], b["odds"]) for b in winners)
        assert balance(platform, bettor) == 5_000_000 - staked + won
    assert_audit_passes(platform)
    wait_restarted(platform, before.owner, pid)


def test_void_refunds_every_stake(platform: Platform, admin: str) -> None:
    """Voiding a match after bets returns every stake by a refund entry and marks each bet void."""
    match = create_match(platform, admin, "Null Wanderers", "Void Villa")
    dan = new_bettor(platform, admin, "void_dan", 40_000)
    eve = new_bettor(platform, admin, "void_eve", 40_000)
    stakes = {
        bet(platform, dan, match, "home", 4_000)["id"]: 4_000,
        bet(platform, dan, match, "x2", 2_500)["id"]: 2_500,
        bet(platform, eve, match, "draw", 7_000)["id"]: 7_000,
    }

    voided = admin_action(platform, admin, match["id"], "void")
    assert voided.status_code == 200, voided.text
    assert voided.json()["status"] == "voided"
    for bettor in (dan, eve):
        assert balance(platform, bettor) == 40_000
        assert {b["status"] for b in my_bets(platform, bettor)} == {"void"}
        refunds = {
            e["bet_id"]: e["amount"]
            for e in my_ledger(platform, bettor)
            if e["kind"] == "refund"
        }
        assert refunds == {b["id"]: stakes[b["id"]] for b in my_bets(platform, bettor)}
    again = admin_action(platform, admin, match["id"], "void")
    assert again.status_code == 200 and again.json() == voided.json()
    assert_audit_passes(platform)


def test_correction_reverses_payouts_by_new_entries_and_pays_new_winners(
    platform: Platform, admin: str
) -> None:
    """Correcting home to away adds entries taking the home payout back and paying away, and logs who did it and why."""
    match = create_match(platform, admin, "Oops Orient", "Replay Rangers")
    fay = new_bettor(platform, admin, "fix_fay", 30_000)
    gil = new_bettor(platform, admin, "fix_gil", 30_000)
    fay_home = bet(platform, fay, match, "home", 3_000)
    gil_away = bet(platform, gil, match, "away", 2_000)
    gil_draw = bet(platform, gil, match, "draw", 1_000)
    assert admin_action(platform, admin, match["id"], "close").status_code == 200
    settled = admin_action(platform, admin, match["id"], "settle", {"outcome": "home"})
    assert settled.status_code == 200, settled.text
    fay_payout = paid(3_000, fay_home["odds"])
    assert balance(platform, fay) == 30_000 - 3_000 + fay_payout
    before = my_ledger(platform, fay)
    # A correction comes after the owner has let the settled event go.
    wait_unowned(platform, match["id"])

    reason = "Away winner confirmed after the referee's report"
    corrected = admin_action(
        platform, admin, match["id"], "correct", {"outcome": "away", "reason": reason}
    )
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["result"] == "away"
    assert corrected.json()["version"] > settled.json()["version"]

    # Fay's payout stays in her ledger; a new entry takes it back.
    after = my_ledger(platform, fay)
    assert {e["id"] for e in before} < {e["id"] for e in after}
    new = [e for e in after if e["id"] not in {b["id"] for b in before}]
    assert [(e["kind"], e["amount"], e["bet_id"]) for e in new] == [
        ("correction", -fay_payout, fay_home["id"])
    ]
    assert new[0]["reason"] == reason
    assert balance(platform, fay) == 30_000 - 3_000
    assert payouts_by_bet(platform, fay) == {fay_home["id"]: 1}
    gil_payout = paid(2_000, gil_away["odds"])
    assert payouts_by_bet(platform, gil) == {gil_away["id"]: 1}
    assert balance(platform, gil) == 30_000 - 3_000 + gil_payout
    statuses = {b["id"]: b["status"] for b in my_bets(platform, gil)}
    assert statuses == {gil_away["id"]: "won", gil_draw["id"]: "lost"}
    assert my_bets(platform, fay)[0]["status"] == "lost"

    # Repeating the correction changes nothing.
    again = admin_action(
        platform, admin, match["id"], "correct", {"outcome": "away", "reason": reason}
    )
    assert again.status_code == 200, again.text
    assert again.json()["version"] == corrected.json()["version"]
    assert len(my_ledger(platform, fay)) == len(after)

    with database(platform):
        logged = list(
            db.AuditLog.select().where(
                (db.AuditLog.action == "correct")
                & (db.AuditLog.target == f"event:{match['id']}")
            )
        )
        admin_id = db.User.get(db.User.username == "admin").id
    assert len(logged) == 1
    assert logged[0].actor_id == admin_id
    assert logged[0].detail == f"home -> away: {reason}"
    assert_audit_passes(platform)


def test_correction_reaches_the_last_worker_standing(
    platform: Platform, admin: str
) -> None:
    """With only the worker that settled a match left running, a correction of that match still finds an owner and pays the new winner."""
    match = create_match(platform, admin, "Lone Star", "Last Stand")
    max_ = new_bettor(platform, admin, "lone_max", 20_000)
    draw = bet(platform, max_, match, "draw", 1_000)
    assert admin_action(platform, admin, match["id"], "close").status_code == 200
    settled = admin_action(platform, admin, match["id"], "settle", {"outcome": "home"})
    assert settled.status_code == 200, settled.text
    settler = lease(platform, f"event:{match['id']}").owner
    pids = worker_pids(platform)
    others = [program_of(platform, pid) for n, pid in pids.items() if n != settler]

    for program in others:
        stop_program(platform, program)
    try:
        wait_unowned(platform, match["id"])
        corrected = admin_action(
            platform,
            admin,
            match["id"],
            "correct",
            {"outcome": "draw", "reason": "Late equaliser stood"},
        )
    finally:
        for program in others:
            platform.supervisorctl("start", program)
    assert corrected.status_code == 200, corrected.text
    assert balance(platform, max_) == 20_000 - 1_000 + paid(1_000, draw["odds"])
    assert_audit_passes(platform)
