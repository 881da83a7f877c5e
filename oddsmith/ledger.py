"""Double-entry ledger: every movement of money is a balanced journal.

A journal's ``key`` names what caused it (``stake:881``, ``payout:881:0``), and
the database refuses a second journal with the same key, so no cause can post
twice. Balances live on the accounts and change only here, in the caller's
transaction, so a balance always equals the sum of its postings.
"""

from __future__ import annotations

import peewee as pw

from oddsmith import errors
from oddsmith.db import EXTERNAL, HOUSE, POOL, USER, Account, Journal, Posting

HOUSE_CODE = "house"
EXTERNAL_CODE = "external"


class AlreadyPosted(Exception):
    """Raised when a journal with the same key exists: the cause was booked."""


def user_code(user_id: int) -> str:
    return f"user:{user_id}"


def pool_code(event_id: int) -> str:
    return f"pool:{event_id}"


def ensure_account(code: str, user_id: int | None = None) -> Account:
    """Return the account named ``code``, creating it empty when missing."""
    kind = code.split(":", 1)[0]
    assert kind in (USER, POOL, HOUSE, EXTERNAL), code
    account = Account.get_or_none(Account.code == code)
    if account is None:
        account = Account.create(code=code, kind=kind, user=user_id, balance=0)
    return account


def post(
    key: str,
    kind: str,
    movements: list[tuple[str, int]],
    *,
    event: int | None = None,
    bet: int | None = None,
    actor: int | None = None,
    reason: str = "",
) -> Journal:
    """Book one balanced journal; call inside a write transaction.

    Raises AlreadyPosted when ``key`` was booked before, and
    InsufficientBalance when a user account would go below zero; the caller's
    transaction must then roll back.
    """
    if sum(amount for _, amount in movements) != 0:
        raise ValueError(f"journal {key} does not balance: {movements}")
    if Journal.get_or_none(Journal.key == key) is not None:
        raise AlreadyPosted(key)
    try:
        journal = Journal.create(
            key=key, kind=kind, event=event, bet=bet, actor=actor, reason=reason
        )
    except pw.IntegrityError as exc:
        raise AlreadyPosted(key) from exc

    for code, amount in movements:
        account = ensure_account(code)
        query = Account.update(balance=Account.balance + amount).where(
            Account.id == account.id
        )
        if account.kind == USER and amount < 0:
            # The guard sits in the statement: two debits racing on the same
            # account cannot both pass, whichever process runs them.
            query = query.where(Account.balance >= -amount)
        if query.execute() != 1:
            raise errors.InsufficientBalance("The balance does not cover the stake.")
        balance = (
            Account.select(Account.balance).where(Account.id == account.id).scalar()
        )
        Posting.create(
            journal=journal, account=account, amount=amount, balance_after=balance
        )
    return journal


def balance_of(code: str) -> int:
    value = Account.select(Account.balance).where(Account.code == code).scalar()
    return int(value or 0)
