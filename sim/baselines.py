"""Price and cap bets under the research baselines the default rule is compared with.

These rules are not production rules; they live here so the simulator can race them
against the default rule with the same bettors. Each has a compiled form used by the
season kernel and a plain-Python twin (in ``sim.reference``) the tests compare with.

Pool rule. Earlier two-option platforms priced option i at
``1 + (T_other + V) / (T_i + V) * (1 - c)`` and capped a bet at
``max(floor, (T + M - L_i) / (odds_i - 1))``. Generalised here to any set of
outcomes: every outcome w holds a virtual stake ``V * n * q_w`` (n outcomes, q the
opening prior), a bet's stake backs the outcomes its selection covers in equal
shares, and a selection's pool share pi is the sum over its outcomes of
``(backing_w + virtual_w) / (T + V * n)``. Its odds are ``1 + (1 - pi) / pi * (1 - c)``
and its liability ``L_j`` is the largest payout owed on any outcome it covers. With two
outcomes and an even prior this is exactly the original rule.

LMSR. Hanson's logarithmic market scoring rule with liquidity b over the payouts owed
per outcome: a stake s on a selection covering outcomes A buys
``x = b * ln(1 + Z / Z_A * (e^(s/b) - 1))`` of payout, where Z sums ``e^(P(w)/b)``
over all outcomes and Z_A over A. The house keeps a margin by paying out
``floor(x * (1 - margin))``. Whatever the bettors do, the house loses at most
``b * ln(n)`` on an event with n outcomes.
"""

import math

import numpy as np
from numba import njit

from sim.engine import (
    N_PARAMS,
    PARAM_MAX_ODDS,
    PARAM_MIN_ODDS,
    PARAM_MIN_STAKE,
    PARAM_PER_BET_LIMIT,
)

# The baselines' parameter vectors share the pricing engine's length and the
# positions of the limits common to every rule, so the season kernel reads those
# the same way whichever rule runs.
P_MIN_ODDS = PARAM_MIN_ODDS
P_MAX_ODDS = PARAM_MAX_ODDS
P_PER_BET_LIMIT = PARAM_PER_BET_LIMIT
P_MIN_STAKE = PARAM_MIN_STAKE

# Pool rule parameters (positions 0-3 are free in every vector).
P_POOL_VIRTUAL = 0
P_POOL_COMMISSION_BP = 1
P_POOL_RESERVE = 2
P_POOL_FLOOR = 3

# LMSR parameters.
P_LMSR_B = 0
P_LMSR_MARGIN_BP = 1

# Past this exponent e^(s/b) is so large that the 1 beside it no longer matters.
_LMSR_LARGE_EXPONENT = 30.0


@njit(cache=True, inline="always")
def floor_odds(odds: float, params: np.ndarray) -> int:
    """Round odds in hundredths down to the tick, inside the policy's limits."""
    # Clamp before converting: a near-zero probability would overflow int64.
    if odds >= params[P_MAX_ODDS]:
        return params[P_MAX_ODDS]
    return max(math.floor(odds), params[P_MIN_ODDS])


@njit(cache=True, inline="always")
def pool_share(
    j: int,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    backing_out: np.ndarray,
    backing_scale: int,
    outcome_prior: np.ndarray,
    total: int,
    params: np.ndarray,
) -> float:
    """Return selection j's share of the pool, virtual stakes included."""
    n = outcome_prior.shape[0]
    virtual = float(params[P_POOL_VIRTUAL])
    backed = 0.0
    for k in range(sel_ptr[j], sel_ptr[j + 1]):
        w = sel_out[k]
        backed += backing_out[w] / backing_scale + virtual * n * outcome_prior[w]
    return backed / (total + virtual * n)


@njit(cache=True, inline="always")
def pool_odds(
    j: int,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    backing_out: np.ndarray,
    backing_scale: int,
    outcome_prior: np.ndarray,
    total: int,
    params: np.ndarray,
) -> int:
    """Quote selection j under the pool rule, in hundredths, floored and clamped."""
    share = pool_share(
        j, sel_ptr, sel_out, backing_out, backing_scale, outcome_prior, total, params
    )
    keep = 1.0 - params[P_POOL_COMMISSION_BP] / 10_000.0
    return floor_odds(100.0 + 100.0 * (1.0 - share) / share * keep, params)


@njit(cache=True, inline="always")
def pool_max_stake(
    j: int,
    odds: int,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    payout_out: np.ndarray,
    total: int,
    params: np.ndarray,
) -> int:
    """Return the largest stake the pool rule takes on selection j at these odds."""
    owed = 0
    for k in range(sel_ptr[j], sel_ptr[j + 1]):
        owed = max(owed, payout_out[sel_out[k]])
    room = total + params[P_POOL_RESERVE] - owed
    cap = params[P_POOL_FLOOR]
    if odds > 100 and room > 0:
        cap = max(cap, room * 100 // (odds - 100))
    return min(cap, params[P_PER_BET_LIMIT])


@njit(cache=True, inline="always")
def lmsr_weights(payout_out: np.ndarray, b: float, weights: np.ndarray) -> float:
    """Fill weights with e^((P(w) - max P)/b) and return their sum."""
    top = payout_out.max()
    total = 0.0
    for w in range(payout_out.shape[0]):
        weights[w] = math.exp((payout_out[w] - top) / b)
        total += weights[w]
    return total


@njit(cache=True, inline="always")
def lmsr_odds(
    j: int,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    weights: np.ndarray,
    weight_sum: float,
    params: np.ndarray,
) -> int:
    """Quote selection j at its LMSR marginal price less the margin."""
    backed = 0.0
    for k in range(sel_ptr[j], sel_ptr[j + 1]):
        backed += weights[sel_out[k]]
    keep = 1.0 - params[P_LMSR_MARGIN_BP] / 10_000.0
    return floor_odds(100.0 * keep * weight_sum / backed, params)


@njit(cache=True, inline="always")
def lmsr_payout(
    j: int,
    stake: int,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    weights: np.ndarray,
    weight_sum: float,
    params: np.ndarray,
) -> int:
    """Return what a stake on selection j buys under the LMSR, in whole cents."""
    b = float(params[P_LMSR_B])
    backed = 0.0
    for k in range(sel_ptr[j], sel_ptr[j + 1]):
        backed += weights[sel_out[k]]
    ratio = weight_sum / backed
    y = stake / b
    if y > _LMSR_LARGE_EXPONENT:
        # ln(1 + r(e^y - 1)) = y + ln r + ln(1 + (1/r - 1) e^-y), without overflow.
        bought = b * (
            y + math.log(ratio) + math.log1p((1.0 / ratio - 1.0) * math.exp(-y))
        )
    else:
        bought = b * math.log1p(ratio * math.expm1(y))
    keep = 1.0 - params[P_LMSR_MARGIN_BP] / 10_000.0
    paid = math.floor(bought * keep)
    return min(paid, stake * params[P_MAX_ODDS] // 100)


def lmsr_loss_bound(b: int, n_outcomes: int) -> float:
    """Return the most an LMSR with liquidity b can lose on one event."""
    return b * math.log(n_outcomes)


def lmsr_liquidity_for(loss_bound: int, n_outcomes: int) -> int:
    """Return the liquidity b, in cents, whose loss bound does not exceed loss_bound."""
    return math.floor(loss_bound / math.log(n_outcomes))


def pool_params(
    virtual: int,
    commission_bp: int,
    reserve: int,
    floor: int,
    min_odds: int,
    max_odds: int,
    per_bet_limit: int,
    min_stake: int,
) -> np.ndarray:
    """Pack the pool rule's settings into the kernel's parameter vector."""
    vector = _common(min_odds, max_odds, per_bet_limit, min_stake)
    vector[P_POOL_VIRTUAL] = virtual
    vector[P_POOL_COMMISSION_BP] = commission_bp
    vector[P_POOL_RESERVE] = reserve
    vector[P_POOL_FLOOR] = floor
    return vector


def lmsr_params(
    b: int,
    margin_bp: int,
    min_odds: int,
    max_odds: int,
    per_bet_limit: int,
    min_stake: int,
) -> np.ndarray:
    """Pack the LMSR's settings into the kernel's parameter vector."""
    vector = _common(min_odds, max_odds, per_bet_limit, min_stake)
    vector[P_LMSR_B] = b
    vector[P_LMSR_MARGIN_BP] = margin_bp
    return vector


def _common(min_odds: int, max_odds: int, per_bet_limit: int, min_stake: int):
    vector = np.zeros(N_PARAMS, dtype=np.int64)
    vector[P_MIN_ODDS] = min_odds
    vector[P_MAX_ODDS] = max_odds
    vector[P_PER_BET_LIMIT] = per_bet_limit
    vector[P_MIN_STAKE] = min_stake
    return vector
