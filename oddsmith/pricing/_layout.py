"""Turn an event spec and its parameters into the integer tables the engine reads.

The kernels and the reference both price from these integers, so the only
floating point in the engine is here, once, when a book is opened: priors are
rounded to millionths and true probabilities recovered as exact fractions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from oddsmith.markets import EventSpec
from oddsmith.pricing._params import BP, RULES, PricingParams

IntArray = npt.NDArray[np.int64]

# Priors become integer weights out of this; divisible by 100 so the odds
# numerator stays an integer (see price_scale).
PRIOR_SCALE = 1_000_000

# Positions in the int64 parameter vector the kernels take.
PARAM_MARGIN = 0
PARAM_LIQUIDITY = 1
PARAM_B0 = 2
PARAM_ALPHA = 3
PARAM_MIN_ODDS = 4
PARAM_MAX_ODDS = 5
PARAM_PER_BET_LIMIT = 6
PARAM_MIN_STAKE = 7
PARAM_RULE = 8
# (BP - margin) * PRIOR_SCALE / 100: odds in hundredths are this times
# (S + L) over the selection's weighted money, see price_scale.
PARAM_PRICE_SCALE = 9
N_PARAMS = 10


@dataclass(frozen=True, eq=False)
class Layout:
    """The fixed shape of one event's book, as int64 arrays.

    Selection ``j`` holds outcomes ``member_outcome[member_start[j]:member_start[j+1]]``
    and belongs to market ``selection_market[j]``; market ``m`` holds selections
    ``market_start[m]:market_start[m+1]``.
    """

    n_outcomes: int
    selection_market: IntArray
    member_start: IntArray
    member_outcome: IntArray
    # Prior of each selection in millionths.
    weight: IntArray
    # Highest odds each selection may show: fair odds less the margin when the
    # true probability is known, else max_odds.
    fair_cap: IntArray
    # Each market's total prior K in millionths; see market_mass.
    market_mass: IntArray
    market_start: IntArray
    params: IntArray

    @property
    def n_selections(self) -> int:
        """Return the number of selections over all markets."""
        return len(self.selection_market)

    @property
    def n_markets(self) -> int:
        """Return the number of markets."""
        return len(self.market_mass)


def quantise_prior(probability: float) -> int:
    """Return a probability as an integer number of millionths."""
    return round(probability * PRIOR_SCALE)


def market_mass(prior: Sequence[float]) -> int:
    """Return the factor K that scales real money in a market, in millionths.

    K is the market's total prior: 1 for 1X2 and straight numbers, where the
    rule is p_j = (S_j + L*q_j) / (S + L) as written; 2 for double chance,
    whose selections each hold two of three results; 36/37 for red/black,
    which leave out zero. Scaling S_j by it keeps the implied probabilities of
    a market summing to its prior mass however the money is spread. Rounding
    the sum once keeps K at least every selection's own weight.
    """
    return round(math.fsum(prior) * PRIOR_SCALE)


def fair_cap(true_prob: float, margin_bp: int, max_odds: int) -> int:
    """Return floor(100 * (1 - margin) / true_prob), at most ``max_odds``.

    The float is read back as the nearest fraction with a denominator up to a
    million, so 18/37 stored as a float gives exactly 18/37 again.
    """
    exact = Fraction(true_prob).limit_denominator(PRIOR_SCALE)
    if exact == 0:
        return max_odds
    cap = (BP - margin_bp) * exact.denominator // (100 * exact.numerator)
    return min(cap, max_odds)


def price_scale(margin_bp: int) -> int:
    """Return (BP - margin) * PRIOR_SCALE / 100, the numerator factor of the odds."""
    return (BP - margin_bp) * (PRIOR_SCALE // 100)


def build_layout(spec: EventSpec, params: PricingParams) -> Layout:
    """Return the integer tables for pricing ``spec`` under ``params``."""
    selection_market: list[int] = []
    member_start = [0]
    member_outcome: list[int] = []
    weight: list[int] = []
    caps: list[int] = []
    mass: list[int] = []
    market_start = [0]
    for m, market in enumerate(spec.markets):
        weights = [quantise_prior(q) for q in market.prior]
        for k, selection in enumerate(market.selections):
            selection_market.append(m)
            member_outcome.extend(selection.outcomes)
            member_start.append(len(member_outcome))
            weight.append(weights[k])
            if market.true_prob is None:
                caps.append(params.max_odds)
            else:
                caps.append(
                    fair_cap(market.true_prob[k], params.margin_bp, params.max_odds)
                )
        mass.append(market_mass(market.prior))
        market_start.append(len(selection_market))

    vector = [0] * N_PARAMS
    vector[PARAM_MARGIN] = params.margin_bp
    vector[PARAM_LIQUIDITY] = params.liquidity
    vector[PARAM_B0] = params.b0
    vector[PARAM_ALPHA] = params.alpha_bp
    vector[PARAM_MIN_ODDS] = params.min_odds
    vector[PARAM_MAX_ODDS] = params.max_odds
    vector[PARAM_PER_BET_LIMIT] = params.per_bet_limit
    vector[PARAM_MIN_STAKE] = params.min_stake
    vector[PARAM_RULE] = RULES[params.rule]
    vector[PARAM_PRICE_SCALE] = price_scale(params.margin_bp)

    def ints(values: list[int]) -> IntArray:
        array = np.array(values, dtype=np.int64)
        # Shared by every copy of a book: nobody may write to it.
        array.flags.writeable = False
        return array

    return Layout(
        n_outcomes=len(spec.outcomes),
        selection_market=ints(selection_market),
        member_start=ints(member_start),
        member_outcome=ints(member_outcome),
        weight=ints(weight),
        fair_cap=ints(caps),
        market_mass=ints(mass),
        market_start=ints(market_start),
        params=ints(vector),
    )
