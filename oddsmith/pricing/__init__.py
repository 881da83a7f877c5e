"""Price selections and cap stakes so that no outcome can cost the house its budget.

One :class:`Book` per event holds the money staked and what each outcome would
pay. Odds follow the money within each market; every bet is capped so that,
whatever happens, the house loses at most ``b0 + alpha * T``. The formulas and
why the bound holds are in docs/pricing.md.

Worker processes call :meth:`Book.place` one bet at a time; the simulator calls
:func:`simulate_bets` with whole arrays. Both run the same compiled kernels.
"""

from oddsmith.pricing._book import BatchResult, Book, Placement, simulate_bets, warm_up
from oddsmith.pricing._errors import (
    CapacityExceeded,
    InvalidParams,
    PricingError,
    UnknownPolicy,
    UnknownSelection,
)
from oddsmith.pricing._params import (
    MAX_ODDS_LIMIT,
    MAX_TOTAL_STAKE,
    POLICIES,
    REASONS,
    PricingParams,
)

__all__ = [
    "MAX_ODDS_LIMIT",
    "MAX_TOTAL_STAKE",
    "POLICIES",
    "REASONS",
    "BatchResult",
    "Book",
    "CapacityExceeded",
    "InvalidParams",
    "Placement",
    "PricingError",
    "PricingParams",
    "UnknownPolicy",
    "UnknownSelection",
    "simulate_bets",
    "warm_up",
]
