"""Verify the ledger's invariants on a live database.

Each check returns the violations it found as sentences; an empty list means
the invariant holds. `oddsmith audit` runs them all and exits non-zero on any.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable

import peewee as pw

from oddsmith import db, ledger, money


def balances_match_postings() -> list[str]:
    sums = dict(
        db.Posting.select(db.Posting.account, pw.fn.SUM(db.Posting.amount))
        .group_by(db.Posting.account)
        .tuples()
    )
    return [
        f"account {code} holds {balance}, its postings sum to {int(sums.get(aid, 0))}"
        for aid, code, balance in db.Account.select(
            db.Account.id, db.Account.code, db.Account.balance
        ).tuples()
        if balance != int(sums.get(aid, 0))
    ]


def journals_balance() -> list[str]:
    rows = (
        db.Posting.select(db.Posting.journal, pw.fn.SUM(db.Posting.amount))
        .group_by(db.Posting.journal)
        .having(pw.fn.SUM(db.Posting.amount) != 0)
        .tuples()
    )
    return [
        f"journal {jid} does not balance: off by {int(total)}" for jid, total in rows
    ]


def money_is_conserved() -> list[str]:
    """Users + house + event pools must equal what came in from outside."""
    by_kind = dict(
        db.Account.select(db.Account.kind, pw.fn.SUM(db.Account.balance))
        .group_by(db.Account.kind)
        .tuples()
    )
    inside = sum(int(by_kind.get(k, 0)) for k in (db.USER, db.HOUSE, db.POOL))
    deposits = -int(by_kind.get(db.EXTERNAL, 0))
    if inside != deposits:
        return [f"users + house + pools hold {inside} but deposits total {deposits}"]
    return []


def no_negative_balances() -> list[str]:
    return [
        f"account {code} is below zero: {balance}"
        for code, balance in db.Account.select(db.Account.code, db.Account.balance)
        .where((db.Account.kind == db.USER) & (db.Account.balance < 0))
        .tuples()
    ]


def pools_hold_open_stakes() -> list[str]:
    """An event's pool holds exactly the stakes of its open bets."""
    open_stakes: dict[int, int] = defaultdict(int)
    for event_id, stake in (
        db.Bet.select(db.Bet.event, db.Bet.stake)
        .where(db.Bet.status == "open")
        .tuples()
    ):
        open_stakes[event_id] += stake
    problems = []
    for code, balance in (
        db.Account.select(db.Account.code, db.Account.balance)
        .where(db.Account.kind == db.POOL)
        .tuples()
    ):
        event_id = int(code.split(":")[1])
        if balance != open_stakes.get(event_id, 0):
            problems.append(
                f"pool of event {event_id} holds {balance}, "
                f"open stakes are {open_stakes.get(event_id, 0)}"
            )
    return problems


def stakes_were_debited() -> list[str]:
    """Every bet has its stake journal debiting the bettor by the stake."""
    debited = dict(
        db.Posting.select(db.Journal.bet, pw.fn.SUM(db.Posting.amount))
        .join(db.Journal)
        .switch(db.Posting)
        .join(db.Account)
        .where((db.Journal.kind == "stake") & (db.Account.kind == db.USER))
        .group_by(db.Journal.bet)
        .tuples()
    )
    return [
        f"bet {bet_id} staked {stake} but its stake journal moved {debited.get(bet_id)}"
        for bet_id, stake in db.Bet.select(db.Bet.id, db.Bet.stake).tuples()
        if debited.get(bet_id) != -stake
    ]


def payouts_match_odds() -> list[str]:
    """Settled bets pay stake times locked odds, rounded down, and nothing else."""
    paid: dict[int, int] = defaultdict(int)
    for bet_id, amount in (
        db.Posting.select(db.Journal.bet, db.Posting.amount)
        .join(db.Journal)
        .switch(db.Posting)
        .join(db.Account)
        .where(
            db.Journal.kind.in_(("payout", "correction", "refund"))
            & (db.Account.kind == db.USER)
            & db.Journal.bet.is_null(False)
        )
        .tuples()
    ):
        paid[bet_id] += amount
    problems = []
    for bet in db.Bet.select().where(db.Bet.status != "open"):
        expected = {
            "won": money.payout(bet.stake, bet.odds),
            "lost": 0,
            "void": bet.stake,
        }[bet.status]
        if bet.status == "won" and bet.payout != expected:
            problems.append(
                f"bet {bet.id} records payout {bet.payout}, should be {expected}"
            )
        if paid.get(bet.id, 0) != expected:
            problems.append(
                f"bet {bet.id} ({bet.status}) received {paid.get(bet.id, 0)}, "
                f"should have {expected}"
            )
    return problems


CHECKS: dict[str, Callable[[], list[str]]] = {
    "balances equal their postings": balances_match_postings,
    "every journal balances": journals_balance,
    "money is conserved": money_is_conserved,
    "no balance below zero": no_negative_balances,
    "pools hold the open stakes": pools_hold_open_stakes,
    "every stake was debited once": stakes_were_debited,
    "payouts equal stake times locked odds": payouts_match_odds,
}


def run() -> dict[str, list[str]]:
    """Run every check; return the violations by check name."""
    ledger.ensure_account(ledger.HOUSE_CODE)
    return {name: check() for name, check in CHECKS.items()}
