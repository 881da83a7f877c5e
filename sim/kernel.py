"""Run a season of events, bet by bet, in one compiled call.

Every bet arrives, its bettor chooses a selection at the odds quoted at that moment,
the policy caps the stake, and the book takes it. The loop is written once for every
policy; the policy's pricing and cap are picked by an integer code, so the default
rule (from ``oddsmith.pricing``) and the baselines run through the same loop at the
same speed.
"""

import math

import numpy as np
from numba import njit

from sim import baselines as bl
from sim import engine
from sim import population as pop

# The functions that call into oddsmith.pricing are not cached on disk: numba's
# cache only notices edits to the file of the cached function itself, so a cached
# season kernel would keep running a pricing kernel that has since changed. The
# price is a few seconds of compilation per process.

DEFAULT = 0
POOL = 1
LMSR = 2

# Columns of the per-event counters.
C_REQUESTED = 0  # bets a bettor wanted to place
C_ACCEPTED = 1  # placed in full
C_REDUCED = 2  # placed with the stake cut to the cap
C_REFUSED = 3  # turned away by the cap or the odds limits
C_ABSTAINED = 4  # informed bettors who saw no edge
C_STAKE_ASKED = 5  # cents the bettors wanted to stake
N_COUNTERS = 6


@njit(inline="always")
def _quote(
    policy: int,
    j: int,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    sel_market: np.ndarray,
    market_ptr: np.ndarray,
    weight: np.ndarray,
    fair_cap: np.ndarray,
    market_mass: np.ndarray,
    oprior: np.ndarray,
    backing_scale: int,
    stake_sel: np.ndarray,
    market_stake: np.ndarray,
    backing_out: np.ndarray,
    total: int,
    weights: np.ndarray,
    weight_sum: float,
    params: np.ndarray,
) -> int:
    if policy == DEFAULT:
        return engine.selection_odds(
            j,
            sel_market,
            weight,
            fair_cap,
            market_mass,
            params,
            stake_sel,
            market_stake,
        )
    if policy == POOL:
        return bl.pool_odds(
            j, sel_ptr, sel_out, backing_out, backing_scale, oprior, total, params
        )
    return bl.lmsr_odds(j, sel_ptr, sel_out, weights, weight_sum, params)


@njit(inline="always")
def _requote_market(
    policy: int,
    m: int,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    sel_market: np.ndarray,
    market_ptr: np.ndarray,
    weight: np.ndarray,
    fair_cap: np.ndarray,
    market_mass: np.ndarray,
    oprior: np.ndarray,
    backing_scale: int,
    stake_sel: np.ndarray,
    market_stake: np.ndarray,
    backing_out: np.ndarray,
    total: int,
    weights: np.ndarray,
    weight_sum: float,
    params: np.ndarray,
    odds: np.ndarray,
) -> None:
    for j in range(market_ptr[m], market_ptr[m + 1]):
        odds[j] = _quote(
            policy,
            j,
            sel_ptr,
            sel_out,
            sel_market,
            market_ptr,
            weight,
            fair_cap,
            market_mass,
            oprior,
            backing_scale,
            stake_sel,
            market_stake,
            backing_out,
            total,
            weights,
            weight_sum,
            params,
        )


@njit(inline="always")
def _choose(
    kind: int,
    type_params: np.ndarray,
    market: int,
    u: float,
    odds: np.ndarray,
    market_ptr: np.ndarray,
    truth: np.ndarray,
    prev_snap: np.ndarray,
    scratch: np.ndarray,
) -> int:
    """Return the selection a bettor backs, given fresh odds, or -1 to abstain."""
    lo = market_ptr[market]
    hi = market_ptr[market + 1]

    if kind == pop.INFORMED:
        # Back the selection with the best expected return, if it clears the bar.
        best = -1
        best_edge = type_params[pop.T_MIN_EDGE]
        for j in range(odds.shape[0]):
            edge = truth[j] * odds[j] / 100.0 - 1.0
            if edge >= best_edge:
                best = j
                best_edge = edge
        return best

    if kind == pop.ADVERSARY:
        # The longest odds in the market carry the most liability per cent staked.
        best = lo
        for j in range(lo + 1, hi):
            if odds[j] > odds[best]:
                best = j
        return best

    if kind == pop.HERD:
        best = -1
        best_move = type_params[pop.T_HERD_THRESHOLD]
        for j in range(lo, hi):
            move = (prev_snap[j] - odds[j]) / prev_snap[j]
            if move >= best_move:
                best = j
                best_move = move
        if best >= 0:
            return best
        # Nothing moved enough: a herd bettor then follows the book like noise.

    bias = type_params[pop.T_FAVOURITE_BIAS]
    if bias == 0.0:
        return lo + min(int(u * (hi - lo)), hi - lo - 1)
    # Draw with weights (1 / odds) ** bias; a power is dear, so take each once.
    total = 0.0
    for j in range(lo, hi):
        weight = 100.0 / odds[j]
        if bias != 1.0:
            weight = weight**bias
        scratch[j] = weight
        total += weight
    target = u * total
    acc = 0.0
    for j in range(lo, hi - 1):
        acc += scratch[j]
        if acc >= target:
            return j
    return hi - 1


@njit
def run_season(
    policy: int,
    params: np.ndarray,
    sel_ptr: np.ndarray,
    sel_out: np.ndarray,
    cover: np.ndarray,
    sel_market: np.ndarray,
    market_ptr: np.ndarray,
    backing_scale: int,
    weight: np.ndarray,
    fair_cap: np.ndarray,
    market_mass: np.ndarray,
    oprior: np.ndarray,
    truth: np.ndarray,
    outcome: np.ndarray,
    event_ptr: np.ndarray,
    bet_time: np.ndarray,
    bet_bettor: np.ndarray,
    bet_stake: np.ndarray,
    u_market: np.ndarray,
    u_selection: np.ndarray,
    type_kind: np.ndarray,
    type_params: np.ndarray,
    type_market_cum: np.ndarray,
    herd_window: float,
):
    """Run every event of a season and return its per-event results.

    Per event: the house result, the turnover, the worst-case loss at the close and
    the ``C_*`` counters; per event and bettor model: the stake placed, the payout
    won and the expected profit at the true probabilities.
    """
    n_events = event_ptr.shape[0] - 1
    n_sel = sel_market.shape[0]
    n_out = cover.shape[1]
    n_mkt = market_ptr.shape[0] - 1
    n_types = type_kind.shape[0]

    result = np.zeros(n_events, dtype=np.int64)
    turnover = np.zeros(n_events, dtype=np.int64)
    worst = np.zeros(n_events, dtype=np.int64)
    counters = np.zeros((n_events, N_COUNTERS), dtype=np.int64)
    type_stake = np.zeros((n_events, n_types), dtype=np.int64)
    type_payout = np.zeros((n_events, n_types), dtype=np.int64)
    type_edge = np.zeros((n_events, n_types), dtype=np.float64)

    stake_sel = np.zeros(n_sel, dtype=np.int64)
    market_stake = np.zeros(n_mkt, dtype=np.int64)
    backing_out = np.zeros(n_out, dtype=np.int64)
    payout_out = np.zeros(n_out, dtype=np.int64)
    odds = np.zeros(n_sel, dtype=np.int64)
    fresh = np.zeros(n_mkt, dtype=np.bool_)
    prev_snap = np.zeros(n_sel, dtype=np.int64)
    cur_snap = np.zeros(n_sel, dtype=np.int64)
    scratch = np.zeros(n_sel, dtype=np.float64)
    weights = np.ones(n_out, dtype=np.float64)
    min_stake = params[bl.P_MIN_STAKE]
    lmsr_b = float(params[bl.P_LMSR_B])

    for e in range(n_events):
        stake_sel[:] = 0
        market_stake[:] = 0
        backing_out[:] = 0
        payout_out[:] = 0
        total = 0
        weight_sum = 0.0
        if policy == LMSR:
            weight_sum = bl.lmsr_weights(payout_out, lmsr_b, weights)
        fresh[:] = False
        snap_time = 0.0
        first = True

        for b in range(event_ptr[e], event_ptr[e + 1]):
            k = bet_bettor[b]
            kind = type_kind[k]
            uniform = type_params[k, pop.T_FAVOURITE_BIAS] == 0.0 and (
                kind == pop.NOISE or kind == pop.WHALE or kind == pop.ROULETTE
            )

            m = 0
            while m < n_mkt - 1 and u_market[b] > type_market_cum[k, m]:
                m += 1

            # Herd bettors compare with odds at least one window old, so snapshot
            # every market when a window closes (and once at the opening).
            snap = first or (
                herd_window > 0.0 and bet_time[b] >= snap_time + herd_window
            )
            if snap:
                for mm in range(n_mkt):
                    if not fresh[mm]:
                        _requote_market(
                            policy,
                            mm,
                            sel_ptr,
                            sel_out,
                            sel_market,
                            market_ptr,
                            weight[e],
                            fair_cap[e],
                            market_mass[e],
                            oprior[e],
                            backing_scale,
                            stake_sel,
                            market_stake,
                            backing_out,
                            total,
                            weights,
                            weight_sum,
                            params,
                            odds,
                        )
                        fresh[mm] = True
                if first:
                    prev_snap[:] = odds
                else:
                    prev_snap[:] = cur_snap
                cur_snap[:] = odds
                if herd_window > 0.0:
                    snap_time = math.floor(bet_time[b] / herd_window) * herd_window
                first = False

            # Refresh the odds the choice reads: one market, or all for informed.
            if not uniform:
                lo = 0 if kind == pop.INFORMED else m
                hi = n_mkt if kind == pop.INFORMED else m + 1
                for mm in range(lo, hi):
                    if not fresh[mm]:
                        _requote_market(
                            policy,
                            mm,
                            sel_ptr,
                            sel_out,
                            sel_market,
                            market_ptr,
                            weight[e],
                            fair_cap[e],
                            market_mass[e],
                            oprior[e],
                            backing_scale,
                            stake_sel,
                            market_stake,
                            backing_out,
                            total,
                            weights,
                            weight_sum,
                            params,
                            odds,
                        )
                        fresh[mm] = True
            j = _choose(
                kind,
                type_params[k],
                m,
                u_selection[b],
                odds,
                market_ptr,
                truth[e],
                prev_snap,
                scratch,
            )
            if j < 0:
                counters[e, C_ABSTAINED] += 1
                continue
            if not fresh[sel_market[j]]:
                odds[j] = _quote(
                    policy,
                    j,
                    sel_ptr,
                    sel_out,
                    sel_market,
                    market_ptr,
                    weight[e],
                    fair_cap[e],
                    market_mass[e],
                    oprior[e],
                    backing_scale,
                    stake_sel,
                    market_stake,
                    backing_out,
                    total,
                    weights,
                    weight_sum,
                    params,
                )
            price = odds[j]

            # Cap the stake; a bettor may take the cut or walk away.
            counters[e, C_REQUESTED] += 1
            stake = bet_stake[b]
            counters[e, C_STAKE_ASKED] += stake
            if price < params[bl.P_MIN_ODDS]:
                cap = 0
            elif policy == DEFAULT:
                cap, _ = engine.selection_cap(
                    j, price, sel_ptr, sel_out, params, payout_out, total
                )
            elif policy == POOL:
                cap = bl.pool_max_stake(
                    j, price, sel_ptr, sel_out, payout_out, total, params
                )
            else:
                cap = params[bl.P_PER_BET_LIMIT]
            reduced = False
            if stake > cap:
                if cap >= min_stake and type_params[k, pop.T_ACCEPT_REDUCED] > 0.0:
                    stake = cap
                    reduced = True
                else:
                    counters[e, C_REFUSED] += 1
                    continue
            if policy == LMSR:
                paid = bl.lmsr_payout(
                    j, stake, sel_ptr, sel_out, weights, weight_sum, params
                )
                # Slippage can push a large stake's price under the minimum odds.
                if paid * 100 < stake * params[bl.P_MIN_ODDS]:
                    counters[e, C_REFUSED] += 1
                    continue
            else:
                paid = stake * price // 100
            counters[e, C_REDUCED if reduced else C_ACCEPTED] += 1

            # Book the bet.
            stake_sel[j] += stake
            market_stake[sel_market[j]] += stake
            total += stake
            share = backing_scale // (sel_ptr[j + 1] - sel_ptr[j])
            for q in range(sel_ptr[j], sel_ptr[j + 1]):
                w = sel_out[q]
                payout_out[w] += paid
                backing_out[w] += stake * share
            if policy == DEFAULT:
                fresh[sel_market[j]] = False
            else:
                # The pool and the LMSR price every market off the same outcomes.
                fresh[:] = False
                if policy == LMSR:
                    weight_sum = bl.lmsr_weights(payout_out, lmsr_b, weights)

            type_stake[e, k] += stake
            type_edge[e, k] += truth[e, j] * paid - stake
            if cover[j, outcome[e]]:
                type_payout[e, k] += paid

        turnover[e] = total
        result[e] = total - payout_out[outcome[e]]
        worst[e] = payout_out.max() - total

    return result, turnover, worst, counters, type_stake, type_payout, type_edge
