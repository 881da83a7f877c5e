"""Request bodies and query strings, validated before any logic runs.

Each schema refuses unknown fields; integers are checked strictly, so ``1.5``,
``"10"``, ``1e999``, NaN and Infinity are refused as stakes. Query strings are
checked against the schema of their route (no parameters at all by default) by
a middleware in api.common, so resources read only what was validated.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

# One hundred million in cents caps every amount well inside 64 bits.
Cents = Annotated[int, Meta(ge=0, le=10_000_000_000)]
PositiveCents = Annotated[int, Meta(ge=1, le=10_000_000_000)]
Id = Annotated[int, Meta(ge=1, le=2**53)]
OddsText = Annotated[str, Meta(pattern=r"^[1-9][0-9]{0,3}\.[0-9]{2}$")]
Username = Annotated[
    str, Meta(min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_.-]+$")
]
# Length rules only, no composition rules (NIST SP 800-63B).
Password = Annotated[str, Meta(min_length=10, max_length=128)]
Text = Annotated[str, Meta(min_length=1, max_length=200)]
ShortText = Annotated[str, Meta(min_length=1, max_length=100)]
OutcomeCode = Annotated[str, Meta(min_length=1, max_length=32)]
# Selection names join two teams ("Home or Away") into a column of 100.
TeamName = Annotated[str, Meta(min_length=1, max_length=48)]
TableName = Annotated[str, Meta(min_length=1, max_length=64)]
# Kick-offs outside these years are mistakes, and near the ends of Python's
# range a time zone shift would overflow.
FIRST_YEAR, LAST_YEAR = 2000, 2200


class Schema(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class Register(Schema):
    username: Username
    password: Password


class Login(Schema):
    username: Annotated[str, Meta(min_length=1, max_length=32)]
    password: Annotated[str, Meta(min_length=1, max_length=128)]


class Refresh(Schema):
    refresh_token: Annotated[str, Meta(min_length=1, max_length=4096)]


class PlaceBet(Schema):
    event_id: Id
    selection_id: Id
    stake: PositiveCents
    odds: OddsText
    policy: Literal["exact", "better", "any"] = "better"


class CreateEvent(Schema, kw_only=True):
    kind: Literal["football"] = "football"
    home: TeamName
    away: TeamName
    league: Annotated[str, Meta(max_length=100)] = ""
    starts_at: dt.datetime
    name: Annotated[str, Meta(max_length=200)] = ""
    opening_odds: Annotated[list[OddsText], Meta(min_length=3, max_length=3)] | None = (
        None
    )

    def __post_init__(self) -> None:
        if not FIRST_YEAR <= self.starts_at.year <= LAST_YEAR:
            raise ValueError(
                f"starts_at must fall between {FIRST_YEAR} and {LAST_YEAR}"
            )


class Settle(Schema):
    outcome: OutcomeCode


class Correct(Schema):
    outcome: OutcomeCode
    reason: Text


class SetBalance(Schema):
    balance: Cents
    reason: Text


class CreateTable(Schema):
    name: TableName
    betting_seconds: Annotated[int, Meta(ge=3, le=3600)] = 20
    pause_seconds: Annotated[int, Meta(ge=1, le=3600)] = 5


class ImportFixtures(Schema):
    file: Annotated[
        str, Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    ]


# -- query strings, by route template ---------------------------------------------


class NoQuery(Schema):
    """A route that takes no query parameters."""


class EventsQuery(Schema):
    kind: Literal["football", "roulette"] | None = None
    status: (
        Literal["scheduled", "open", "suspended", "closed", "settled", "voided"] | None
    ) = None


class UsersQuery(Schema):
    username: Annotated[str, Meta(max_length=32)] = ""


QUERIES: dict[str, type[Schema]] = {
    "/api/events": EventsQuery,
    "/api/admin/users": UsersQuery,
}
