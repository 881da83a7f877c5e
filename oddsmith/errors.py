"""Errors of the domain, each with a stable code and the HTTP status it maps to.

Components raise these; the API turns them into RFC 9457 problem documents in
one place, and workers send them back in a reply envelope.
"""

from __future__ import annotations

from typing import Any


class OddsmithError(Exception):
    """Base of every error a client may see; ``code`` never changes meaning."""

    code = "error"
    status = 400
    title = "Request refused"

    def __init__(self, detail: str = "", current: dict[str, Any] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.current = current

    def to_problem(self) -> dict[str, Any]:
        problem: dict[str, Any] = {
            "type": "about:blank",
            "title": self.title,
            "status": self.status,
            "code": self.code,
            "detail": self.detail,
        }
        if self.current is not None:
            problem["current"] = self.current
        return problem


def _error(code: str, status: int, title: str) -> type[OddsmithError]:
    return type(
        "".join(part.title() for part in code.split("_")) + "Error",
        (OddsmithError,),
        {"code": code, "status": status, "title": title, "__doc__": title + "."},
    )


InvalidRequest = _error("invalid_request", 422, "The request does not match its schema")
Unauthorized = _error("unauthorized", 401, "Authentication required")
Forbidden = _error("forbidden", 403, "Not allowed for this account")
NotFound = _error("not_found", 404, "Not found")
UsernameTaken = _error("username_taken", 409, "That username is taken")
InvalidCredentials = _error("invalid_credentials", 401, "Wrong username or password")
OddsChanged = _error("odds_changed", 409, "The odds have changed")
OverMaxStake = _error("over_max_stake", 422, "Stake above the maximum")
StakeTooSmall = _error("stake_too_small", 422, "Stake below the minimum")
InsufficientBalance = _error("insufficient_balance", 422, "Not enough balance")
EventNotOpen = _error("event_not_open", 409, "Betting on this event is not open")
InvalidTransition = _error(
    "invalid_transition", 409, "Not allowed in the event's state"
)
IdempotencyConflict = _error(
    "idempotency_conflict", 409, "That idempotency key was used for another request"
)
Unavailable = _error("unavailable", 503, "Service temporarily unavailable")
RateLimited = _error("rate_limited", 429, "Too many requests")
Internal = _error("internal", 500, "Internal error")
# Internal to the worker protocol: the broker retries on it, clients never see it.
NotOwner = _error("not_owner", 503, "This worker does not own the event")

BY_CODE: dict[str, type[OddsmithError]] = {
    cls.code: cls
    for cls in (
        InvalidRequest,
        Unauthorized,
        Forbidden,
        NotFound,
        UsernameTaken,
        InvalidCredentials,
        OddsChanged,
        OverMaxStake,
        StakeTooSmall,
        InsufficientBalance,
        EventNotOpen,
        InvalidTransition,
        IdempotencyConflict,
        Unavailable,
        RateLimited,
        Internal,
        NotOwner,
    )
}


def from_code(
    code: str, detail: str, current: dict[str, Any] | None = None
) -> OddsmithError:
    """Rebuild an error sent across a process boundary."""
    return BY_CODE.get(code, Unavailable)(detail, current)
