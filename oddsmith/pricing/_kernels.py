"""Price, cap and book bets in compiled code.

These are the only implementation of the formulas in docs/pricing.md that the
platform runs; ``_reference.py`` restates them in plain Python for the tests.
Everything is int64. The arrays come in two fixed groups, always in this order:

- layout (read only): selection_market, member_start, member_outcome, weight,
  fair_cap, market_mass, market_start, params (see ``_layout.Layout``);
- state (written on every accepted bet): selection_stake, market_stake,
  liability, totals (``totals[0]`` is the total stake T) and dirty (one flag per
  market whose cached odds are stale).

Compiled code is cached on disk beside this file; where that directory is read
only numba falls back to its user cache directory (``NUMBA_CACHE_DIR`` moves it).
The cache is keyed on this file alone, yet the constants imported below are baked
into the compiled code: after changing one of them in ``_params.py`` or
``_layout.py``, delete ``oddsmith/pricing/__pycache__``. ``compiled_constants``
lets the tests catch a stale cache.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from oddsmith.pricing._layout import (
    N_PARAMS,
    PARAM_ALPHA,
    PARAM_B0,
    PARAM_LIQUIDITY,
    PARAM_MAX_ODDS,
    PARAM_MIN_ODDS,
    PARAM_MIN_STAKE,
    PARAM_PER_BET_LIMIT,
    PARAM_PRICE_SCALE,
)
from oddsmith.pricing._params import (
    ACCEPTED,
    BP,
    MAX_TOTAL_STAKE,
    ODDS_CHANGED,
    OVER_MAX_STAKE,
    POLICY_ANY,
    POLICY_BETTER,
    POLICY_EXACT,
    STAKE_TOO_SMALL,
)

# A float product below this proves the integer product is below 2**62, with
# room for the float's rounding, so it can be formed in int64 directly.
_SAFE_PRODUCT = 4.0e18

# Rounding a payout down to the cent gives back less than one cent, so a stake
# more than 9900 / excess cents past the unrounded cap cannot fit (see
# stake_cap). Up to this many candidates are tried one by one; beyond that the
# search works per residue of the stake modulo 100.
_LINEAR_SEARCH = 128


@njit(cache=True, nogil=True)
def mul_div_capped(a: int, b: int, c: int, cap: int) -> int:
    """Return min(floor(a * b / c), cap) without overflow.

    Needs ``a, b >= 0`` and ``0 < c <= 2**62``. Small products take one integer
    division; larger ones split ``b`` by ``c`` and finish with a shift-and-add
    division whose remainder always stays below ``c``.
    """
    if float(a) * float(b) < _SAFE_PRODUCT:
        quotient = a * b // c
        return quotient if quotient < cap else cap

    whole = b // c
    if whole > 0 and a > cap // whole:
        return cap
    result = a * whole
    rest = b - whole * c

    # floor(a * rest / c), walking the bits of a from the top; the invariant is
    # (bits of a seen so far) * rest == quotient * c + remainder.
    quotient = 0
    remainder = 0
    bit = 62
    while bit >= 0:
        quotient *= 2
        remainder *= 2
        if remainder >= c:
            remainder -= c
            quotient += 1
        if (a >> bit) & 1:
            remainder += rest
            if remainder >= c:
                remainder -= c
                quotient += 1
        bit -= 1
    result += quotient
    return result if result < cap else cap


@njit(cache=True, nogil=True)
def selection_odds(
    j: int,
    selection_market: np.ndarray,
    weight: np.ndarray,
    fair_cap: np.ndarray,
    market_mass: np.ndarray,
    params: np.ndarray,
    selection_stake: np.ndarray,
    market_stake: np.ndarray,
) -> int:
    """Return the current odds of selection ``j`` in hundredths.

    p_j = (K * S_j + L * w_j) / (PRIOR_SCALE * (S + L)) and the odds are
    (1 - margin) / p_j rounded down to the tick, clamped to [min_odds, max_odds],
    then to the fair cap. Only the selection's own market enters, so a bet moves
    the odds of its market alone. Another odds rule would branch here on
    ``params[PARAM_RULE]``.
    """
    m = selection_market[j]
    liquidity = params[PARAM_LIQUIDITY]
    max_odds = params[PARAM_MAX_ODDS]
    backed = market_mass[m] * selection_stake[j] + liquidity * weight[j]
    if backed == 0:
        # No money and no prior: the probability is zero, the odds unbounded.
        odds = max_odds
    else:
        odds = mul_div_capped(
            params[PARAM_PRICE_SCALE], market_stake[m] + liquidity, backed, max_odds
        )
    odds = max(odds, params[PARAM_MIN_ODDS])
    return int(min(odds, fair_cap[j]))


@njit(cache=True, nogil=True)
def stake_cap(headroom: int, odds: int, alpha_bp: int, limit: int) -> tuple[int, bool]:
    """Return the largest stake up to ``limit`` below which every stake fits.

    A stake s fits when BP * floor(s * odds / 100) - (BP + alpha) * s <= headroom,
    where headroom = BP * (B0 + T - P(w)) + alpha * T for the worst outcome w.
    The second value is True when the exposure binds, False when ``limit`` does
    (including when the odds are too short for the outcome to bind at all).
    """
    excess = 100 * odds - BP - alpha_bp
    if excess <= 0:
        return limit, False
    if headroom < 0:
        return 0, True

    # Every stake up to headroom // excess fits, since rounding only lowers
    # the payout; the first stake that fails lies between there and ceiling+1.
    safe = headroom // excess
    if safe >= limit:
        return limit, False
    ceiling = (headroom + 9900) // excess
    high = min(ceiling, limit)

    if high - safe <= _LINEAR_SEARCH:
        first_fail = high + 1
        for stake in range(safe + 1, high + 1):
            if BP * (stake * odds // 100) - (BP + alpha_bp) * stake > headroom:
                first_fail = stake
                break
    else:
        # Writing s = 100k + r makes the overshoot 100 * excess * k + g(r), which
        # grows with k; take the first failing k of each residue r.
        first_fail = ceiling + 1
        for residue in range(100):
            shift = BP * (residue * odds // 100) - (BP + alpha_bp) * residue
            steps = 0
            if shift <= headroom:
                steps = (headroom - shift) // (100 * excess) + 1
            candidate = 100 * steps + residue
            if candidate < first_fail:
                first_fail = candidate

    if first_fail > limit:
        return limit, False
    return first_fail - 1, True


@njit(cache=True, nogil=True)
def selection_cap(
    j: int,
    odds: int,
    member_start: np.ndarray,
    member_outcome: np.ndarray,
    params: np.ndarray,
    liability: np.ndarray,
    total: int,
) -> tuple[int, int]:
    """Return the maximum stake on ``j`` at ``odds`` and the outcome that binds.

    The binding outcome is the one of ``j`` with the largest liability (the
    lowest index among equals), or -1 when the per-bet limit binds.
    """
    worst = member_outcome[member_start[j]]
    for q in range(member_start[j] + 1, member_start[j + 1]):
        w = member_outcome[q]
        if liability[w] > liability[worst]:
            worst = w
    alpha = params[PARAM_ALPHA]
    headroom = BP * params[PARAM_B0] + (BP + alpha) * total - BP * liability[worst]
    # The engine's capacity rides on the per-bet limit, so T never passes it.
    limit = min(params[PARAM_PER_BET_LIMIT], MAX_TOTAL_STAKE - total)
    cap, exposure_binds = stake_cap(headroom, odds, alpha, limit)
    return cap, worst if exposure_binds else -1


@njit(cache=True, nogil=True)
def book_bet(
    j: int,
    stake: int,
    payout: int,
    selection_market: np.ndarray,
    member_start: np.ndarray,
    member_outcome: np.ndarray,
    selection_stake: np.ndarray,
    market_stake: np.ndarray,
    liability: np.ndarray,
    totals: np.ndarray,
    dirty: np.ndarray,
) -> None:
    """Add an accepted bet to the state, without any check."""
    m = selection_market[j]
    selection_stake[j] += stake
    market_stake[m] += stake
    totals[0] += stake
    for q in range(member_start[j], member_start[j + 1]):
        liability[member_outcome[q]] += payout
    dirty[m] = 1


@njit(cache=True, nogil=True)
def place_bet(
    j: int,
    stake: int,
    quoted_odds: int,
    policy: int,
    selection_market: np.ndarray,
    member_start: np.ndarray,
    member_outcome: np.ndarray,
    weight: np.ndarray,
    fair_cap: np.ndarray,
    market_mass: np.ndarray,
    market_start: np.ndarray,
    params: np.ndarray,
    selection_stake: np.ndarray,
    market_stake: np.ndarray,
    liability: np.ndarray,
    totals: np.ndarray,
    dirty: np.ndarray,
) -> tuple[int, int, int, int, int]:
    """Price, cap and, if it passes, book one bet.

    Return (reason code, current odds, payout, maximum stake, binding outcome);
    the maximum stake is the one the bet was checked against. A refused bet
    leaves the state untouched.
    """
    odds = selection_odds(
        j,
        selection_market,
        weight,
        fair_cap,
        market_mass,
        params,
        selection_stake,
        market_stake,
    )
    cap, binding = selection_cap(
        j, odds, member_start, member_outcome, params, liability, totals[0]
    )
    if stake < params[PARAM_MIN_STAKE]:
        return STAKE_TOO_SMALL, odds, 0, cap, binding
    if (policy == POLICY_EXACT and odds != quoted_odds) or (
        policy == POLICY_BETTER and odds < quoted_odds
    ):
        return ODDS_CHANGED, odds, 0, cap, binding
    if stake > cap:
        return OVER_MAX_STAKE, odds, 0, cap, binding

    payout = stake * odds // 100
    book_bet(
        j,
        stake,
        payout,
        selection_market,
        member_start,
        member_outcome,
        selection_stake,
        market_stake,
        liability,
        totals,
        dirty,
    )
    return ACCEPTED, odds, payout, cap, binding


@njit(cache=True, nogil=True)
def place_batch(
    selections: np.ndarray,
    stakes: np.ndarray,
    quoted_odds: np.ndarray,
    policies: np.ndarray,
    selection_market: np.ndarray,
    member_start: np.ndarray,
    member_outcome: np.ndarray,
    weight: np.ndarray,
    fair_cap: np.ndarray,
    market_mass: np.ndarray,
    market_start: np.ndarray,
    params: np.ndarray,
    selection_stake: np.ndarray,
    market_stake: np.ndarray,
    liability: np.ndarray,
    totals: np.ndarray,
    dirty: np.ndarray,
    out_reason: np.ndarray,
    out_odds: np.ndarray,
    out_payout: np.ndarray,
) -> None:
    """Place bets one after another, exactly as repeated place_bet calls would."""
    for i in range(len(selections)):
        reason, odds, payout, _, _ = place_bet(
            selections[i],
            stakes[i],
            quoted_odds[i],
            policies[i],
            selection_market,
            member_start,
            member_outcome,
            weight,
            fair_cap,
            market_mass,
            market_start,
            params,
            selection_stake,
            market_stake,
            liability,
            totals,
            dirty,
        )
        out_reason[i] = reason
        out_odds[i] = odds
        out_payout[i] = payout


@njit(cache=True, nogil=True)
def refresh_odds(
    odds: np.ndarray,
    selection_market: np.ndarray,
    weight: np.ndarray,
    fair_cap: np.ndarray,
    market_mass: np.ndarray,
    market_start: np.ndarray,
    params: np.ndarray,
    selection_stake: np.ndarray,
    market_stake: np.ndarray,
    dirty: np.ndarray,
) -> None:
    """Reprice the selections of the markets flagged dirty, and clear the flags."""
    for m in range(len(dirty)):
        if dirty[m]:
            for j in range(market_start[m], market_start[m + 1]):
                odds[j] = selection_odds(
                    j,
                    selection_market,
                    weight,
                    fair_cap,
                    market_mass,
                    params,
                    selection_stake,
                    market_stake,
                )
            dirty[m] = 0


@njit(cache=True, nogil=True)
def all_caps(
    odds: np.ndarray,
    member_start: np.ndarray,
    member_outcome: np.ndarray,
    params: np.ndarray,
    liability: np.ndarray,
    totals: np.ndarray,
    out_cap: np.ndarray,
    out_binding: np.ndarray,
) -> None:
    """Fill each selection's maximum stake at its (fresh) odds and binding outcome."""
    for j in range(len(odds)):
        cap, binding = selection_cap(
            j, odds[j], member_start, member_outcome, params, liability, totals[0]
        )
        out_cap[j] = cap
        out_binding[j] = binding


@njit(cache=True)
def compiled_constants() -> tuple[int, ...]:
    """Return the imported constants as the cached compiled code sees them."""
    return (
        BP,
        MAX_TOTAL_STAKE,
        N_PARAMS,
        PARAM_ALPHA,
        PARAM_B0,
        PARAM_LIQUIDITY,
        PARAM_MAX_ODDS,
        PARAM_MIN_ODDS,
        PARAM_MIN_STAKE,
        PARAM_PER_BET_LIMIT,
        PARAM_PRICE_SCALE,
        POLICY_EXACT,
        POLICY_BETTER,
        POLICY_ANY,
        ACCEPTED,
        ODDS_CHANGED,
        OVER_MAX_STAKE,
        STAKE_TOO_SMALL,
    )


def python_constants() -> tuple[int, ...]:
    """Return the same constants as the Python modules define them now."""
    return compiled_constants.py_func()
