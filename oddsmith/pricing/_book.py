"""Keep one event's book: its money, its liabilities, and the bets it takes."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from oddsmith.markets import EventSpec, football
from oddsmith.pricing import _kernels as k
from oddsmith.pricing._errors import CapacityExceeded, UnknownPolicy, UnknownSelection
from oddsmith.pricing._layout import Layout, build_layout
from oddsmith.pricing._params import (
    ACCEPTED,
    BP,
    MAX_ODDS_LIMIT,
    MAX_TOTAL_STAKE,
    POLICIES,
    REASONS,
    PricingParams,
)

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Placement:
    """The answer to one bet.

    ``odds`` are the current odds: those the bet was accepted at, or those a
    refused bet may be offered again. ``max_stake`` and ``binding_outcome`` are
    the limit the bet was checked against (before it was booked); the binding
    outcome is -1 when the per-bet limit binds. ``payout`` is 0 when refused.
    """

    accepted: bool
    reason: str | None
    odds: int
    payout: int
    max_stake: int
    binding_outcome: int


class BatchResult(NamedTuple):
    """What each bet of a batch gave, one array element per bet."""

    accepted: npt.NDArray[np.bool_]
    # Odds at the moment of the bet, accepted or not.
    odds: IntArray
    # Zero for refused bets.
    payout: IntArray
    # Index into REASONS: 0 for accepted, else why it was refused.
    reason: npt.NDArray[np.int8]


class Book:
    """The state of one event: stakes per selection and market, liability per outcome.

    One book serves one thread at a time; the compiled kernels release the GIL,
    so separate books can be worked on from separate threads.
    """

    def __init__(self, spec: EventSpec, params: PricingParams) -> None:
        self.spec = spec
        self.params = params
        layout = build_layout(spec, params)
        self._layout = layout
        self._selection_stake = np.zeros(layout.n_selections, dtype=np.int64)
        self._market_stake = np.zeros(layout.n_markets, dtype=np.int64)
        self._liability = np.zeros(layout.n_outcomes, dtype=np.int64)
        self._totals = np.zeros(1, dtype=np.int64)
        self._odds = np.zeros(layout.n_selections, dtype=np.int64)
        self._dirty = np.ones(layout.n_markets, dtype=np.uint8)

    @property
    def layout(self) -> Layout:
        """Return the integer tables the kernels price from (read only)."""
        return self._layout

    @property
    def n_selections(self) -> int:
        """Return the number of selections over all markets."""
        return self._layout.n_selections

    @property
    def total_stake(self) -> int:
        """Return T, the sum of the stakes of every accepted bet."""
        return int(self._totals[0])

    def odds(self) -> IntArray:
        """Return the current odds of every selection, in hundredths."""
        self._refresh()
        return self._odds.copy()

    def max_stakes(self) -> tuple[IntArray, IntArray]:
        """Return each selection's maximum stake at its odds, and what binds it.

        The second array holds the outcome whose exposure binds, or -1 where
        the per-bet limit binds.
        """
        self._refresh()
        layout = self._layout
        caps = np.empty(layout.n_selections, dtype=np.int64)
        binding = np.empty(layout.n_selections, dtype=np.int64)
        k.all_caps(
            self._odds,
            layout.member_start,
            layout.member_outcome,
            layout.params,
            self._liability,
            self._totals,
            caps,
            binding,
        )
        return caps, binding

    def place(
        self, selection: int, stake: int, quoted_odds: int, policy: str = "better"
    ) -> Placement:
        """Accept the bet at the current odds if its policy and cap allow it.

        ``policy`` is "exact" (only at the quoted odds), "better" (at the quoted
        odds or longer) or "any". A refused bet changes nothing.
        """
        try:
            policy_code = POLICIES[policy]
        except KeyError:
            raise UnknownPolicy(f"unknown odds policy {policy!r}") from None
        layout = self._layout
        selection = self._selection_index(selection)
        # Values past these bounds give the same answer as the bounds, and keep
        # the arguments inside int64.
        stake = max(min(operator.index(stake), MAX_TOTAL_STAKE + 1), -1)
        quoted_odds = max(min(operator.index(quoted_odds), MAX_ODDS_LIMIT + 1), 0)
        reason, odds, payout, cap, binding = k.place_bet(
            selection,
            stake,
            quoted_odds,
            policy_code,
            layout.selection_market,
            layout.member_start,
            layout.member_outcome,
            layout.weight,
            layout.fair_cap,
            layout.market_mass,
            layout.market_start,
            layout.params,
            self._selection_stake,
            self._market_stake,
            self._liability,
            self._totals,
            self._dirty,
        )
        return Placement(
            reason == ACCEPTED, REASONS[reason], odds, payout, cap, binding
        )

    def add_accepted(self, selection: int, stake: int, odds: int) -> None:
        """Book a bet that was accepted before, to rebuild the state from storage.

        No policy, cap or budget check is made: the bet was already taken.
        Only the bounds that keep the arithmetic exact are enforced.
        """
        selection = self._selection_index(selection)
        stake = operator.index(stake)
        odds = operator.index(odds)
        if stake < 0 or not 0 <= odds <= MAX_ODDS_LIMIT:
            raise CapacityExceeded(f"cannot book stake {stake} at odds {odds}")
        if self.total_stake + stake > MAX_TOTAL_STAKE:
            raise CapacityExceeded(
                f"total stake would pass the engine's capacity of {MAX_TOTAL_STAKE}"
            )
        layout = self._layout
        k.book_bet(
            selection,
            stake,
            stake * odds // 100,
            layout.selection_market,
            layout.member_start,
            layout.member_outcome,
            self._selection_stake,
            self._market_stake,
            self._liability,
            self._totals,
            self._dirty,
        )

    def liability(self) -> IntArray:
        """Return P(w) for each outcome: what the accepted bets pay if w happens."""
        return self._liability.copy()

    def selection_stakes(self) -> IntArray:
        """Return the money staked on each selection."""
        return self._selection_stake.copy()

    def market_stakes(self) -> IntArray:
        """Return the money staked on each market."""
        return self._market_stake.copy()

    def house_result(self, outcome: int) -> int:
        """Return what the house keeps if ``outcome`` happens: T - P(outcome)."""
        if not 0 <= outcome < self._layout.n_outcomes:
            raise UnknownSelection(f"no outcome {outcome}")
        return self.total_stake - int(self._liability[outcome])

    def worst_case(self) -> int:
        """Return the house result of the worst outcome, min over w of T - P(w)."""
        return self.total_stake - int(self._liability.max())

    def budget(self) -> int:
        """Return the loss budget B0 + alpha * T, rounded down to the cent."""
        return self.params.b0 + self.params.alpha_bp * self.total_stake // BP

    def copy(self) -> Book:
        """Return an independent book with the same spec, parameters and state."""
        twin = Book.__new__(Book)
        twin.spec = self.spec
        twin.params = self.params
        twin._layout = self._layout
        twin._selection_stake = self._selection_stake.copy()
        twin._market_stake = self._market_stake.copy()
        twin._liability = self._liability.copy()
        twin._totals = self._totals.copy()
        twin._odds = self._odds.copy()
        twin._dirty = self._dirty.copy()
        return twin

    def _selection_index(self, selection: int) -> int:
        selection = operator.index(selection)
        if not 0 <= selection < self._layout.n_selections:
            raise UnknownSelection(f"no selection {selection}")
        return selection

    def _refresh(self) -> None:
        layout = self._layout
        k.refresh_odds(
            self._odds,
            layout.selection_market,
            layout.weight,
            layout.fair_cap,
            layout.market_mass,
            layout.market_start,
            layout.params,
            self._selection_stake,
            self._market_stake,
            self._dirty,
        )


def simulate_bets(
    book: Book,
    selections: npt.ArrayLike,
    stakes: npt.ArrayLike,
    quoted_odds: npt.ArrayLike,
    policies: npt.ArrayLike = POLICIES["better"],
) -> BatchResult:
    """Place a batch of bets on ``book`` in order, in one compiled loop.

    The outcome is exactly that of calling :meth:`Book.place` for each bet in
    turn, and the book's state moves the same way. ``policies`` holds policy
    codes (``POLICIES``), one per bet or one for all.
    """
    selection_array = np.asarray(selections)
    count = len(selection_array)
    selection_array = _per_bet(selection_array, count, "selections")
    stake_array = _per_bet(stakes, count, "stakes")
    quoted_array = _per_bet(quoted_odds, count, "quoted_odds")
    policy_array = _per_bet(policies, count, "policies")
    if count and not (
        selection_array.min() >= 0 and selection_array.max() < book.n_selections
    ):
        raise UnknownSelection("a selection index is outside the event")
    if count and not (
        min(POLICIES.values()) <= policy_array.min()
        and policy_array.max() <= max(POLICIES.values())
    ):
        raise UnknownPolicy("a policy code is not one of POLICIES")

    reason = np.empty(count, dtype=np.int8)
    odds = np.empty(count, dtype=np.int64)
    payout = np.empty(count, dtype=np.int64)
    layout = book.layout
    k.place_batch(
        selection_array,
        stake_array,
        quoted_array,
        policy_array,
        layout.selection_market,
        layout.member_start,
        layout.member_outcome,
        layout.weight,
        layout.fair_cap,
        layout.market_mass,
        layout.market_start,
        layout.params,
        book._selection_stake,
        book._market_stake,
        book._liability,
        book._totals,
        book._dirty,
        reason,
        odds,
        payout,
    )
    return BatchResult(reason == ACCEPTED, odds, payout, reason)


def _per_bet(values: npt.ArrayLike, count: int, name: str) -> IntArray:
    array = np.asarray(values)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integers, got {array.dtype}")
    if array.ndim == 0:
        return np.full(count, array, dtype=np.int64)
    if array.shape != (count,):
        raise ValueError(f"{name} needs one value per bet, got shape {array.shape}")
    return np.ascontiguousarray(array, dtype=np.int64)


def warm_up() -> None:
    """Compile, or load from the disk cache, every kernel a book uses.

    A worker calls this at start so that its first bet does not wait for the
    compiler.
    """
    book = Book(football(), PricingParams.for_football())
    book.odds()
    book.max_stakes()
    placed = book.place(0, 100, 0, "any")
    book.add_accepted(1, 100, placed.odds)
    simulate_bets(book, [0], [100], [0])
