"""The lifecycle rules on a running platform: kick-off, refused actions, the audit."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from oddsmith import ledger
from tests.harness import Platform
from tests.lifecycle.helpers import (
    admin_action,
    audit,
    balance,
    bet,
    create_match,
    database,
    get_event,
    new_bettor,
    try_bet,
    wait_for,
    wait_unowned,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def test_football_event_closes_itself_at_kick_off(
    platform: Platform, admin: str
) -> None:
    """A match created for four seconds ahead takes bets until kick-off and refuses them with 409 event_not_open after."""
    hal = new_bettor(platform, admin, "kick_hal", 20_000)
    match = create_match(
        platform, admin, "Clock Town", "Whistle Wednesday", dt.timedelta(seconds=4)
    )
    kick_off = dt.datetime.fromisoformat(match["starts_at"].replace("Z", "+00:00"))

    accepted = try_bet(platform, hal, match, "home", 1_000)
    assert accepted.status_code == 201, accepted.text
    assert dt.datetime.now(dt.UTC) < kick_off, "the bet came too late to prove anything"

    def closed_event() -> dict[str, Any] | None:
        event = get_event(platform, match["id"])
        return event if event["status"] == "closed" else None

    closed = wait_for(closed_event, 15, "the owner to close the match at kick-off")
    assert dt.datetime.now(dt.UTC) >= kick_off
    refused = try_bet(platform, hal, match, "home", 1_000)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "event_not_open"
    assert balance(platform, hal) == 20_000 - 1_000
    assert get_event(platform, match["id"])["version"] == closed["version"]


def refuse(
    platform: Platform,
    admin: str,
    event_id: int,
    action: str,
    body: dict[str, Any] | None = None,
) -> None:
    """Assert that ``action`` answers 409 invalid_transition and changes nothing."""
    before = get_event(platform, event_id)
    answer = admin_action(platform, admin, event_id, action, body)
    assert answer.status_code == 409, (action, before["status"], answer.text)
    assert answer.json()["code"] == "invalid_transition"
    after = get_event(platform, event_id)
    assert (after["status"], after["version"]) == (before["status"], before["version"])


def test_every_refused_transition_answers_409_and_changes_nothing(
    platform: Platform, admin: str
) -> None:
    """Walking a match through open, suspended, closed, settled and another through voided, each disallowed action is refused with 409 and leaves the version as it was."""
    match = create_match(platform, admin, "Rule Rovers", "Order Orient")
    other = create_match(platform, admin, "Gone Athletic", "Never Played")
    ivy = new_bettor(platform, admin, "rule_ivy", 20_000)
    bet(platform, ivy, match, "home", 1_000)
    bet(platform, ivy, other, "draw", 2_000)
    mid = match["id"]

    for action, body in [
        ("resume", None),
        ("settle", {"outcome": "home"}),
        ("correct", {"outcome": "away", "reason": "too early"}),
    ]:
        refuse(platform, admin, mid, action, body)
    assert admin_action(platform, admin, mid, "suspend").status_code == 200
    refuse(platform, admin, mid, "suspend")
    refuse(platform, admin, mid, "settle", {"outcome": "home"})
    assert admin_action(platform, admin, mid, "close").status_code == 200
    for action in ("suspend", "resume", "close"):
        refuse(platform, admin, mid, action)
    settled = admin_action(platform, admin, mid, "settle", {"outcome": "home"})
    assert settled.status_code == 200, settled.text
    assert admin_action(platform, admin, other["id"], "void").status_code == 200
    final_balance = balance(platform, ivy)

    # Finished events have no owner any more: the API must still refuse at once.
    wait_unowned(platform, mid)
    wait_unowned(platform, other["id"])
    for action in ("suspend", "resume", "close", "void"):
        refuse(platform, admin, mid, action)
    refuse(platform, admin, mid, "settle", {"outcome": "draw"})
    for action in ("suspend", "resume", "close"):
        refuse(platform, admin, other["id"], action)
    refuse(platform, admin, other["id"], "settle", {"outcome": "home"})
    refuse(
        platform,
        admin,
        other["id"],
        "correct",
        {"outcome": "home", "reason": "never played"},
    )
    assert balance(platform, ivy) == final_balance
    done = audit(platform)
    assert done.returncode == 0, done.stdout


def test_audit_fails_on_a_balance_edited_by_hand(
    platform: Platform, admin: str
) -> None:
    """`oddsmith audit` exits 0 on the platform's ledger and 1 once a balance is changed with SQL behind the ledger's back."""
    jay = new_bettor(platform, admin, "edit_jay", 10_000)
    match = create_match(platform, admin, "Ledger Lions", "Posting Park")
    bet(platform, jay, match, "draw", 2_500)
    clean = audit(platform)
    assert clean.returncode == 0, clean.stdout

    def add_to_balance(amount: int) -> None:
        with database(platform) as handle:
            handle.execute_sql(
                "UPDATE account SET balance = balance + "
                f"{handle.param} WHERE code = {handle.param}",
                (amount, ledger.user_code(jay.id)),
            )

    add_to_balance(500)
    try:
        edited = audit(platform)
        assert edited.returncode == 1, edited.stdout
        assert "FAIL balances equal their postings" in edited.stdout
        assert "FAIL money is conserved" in edited.stdout
        assert f"account user:{jay.id} holds 8000" in edited.stdout
    finally:
        # Put the ledger right again for the tests that share this platform.
        add_to_balance(-500)
    restored = audit(platform)
    assert restored.returncode == 0, restored.stdout
