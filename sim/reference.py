"""Restate the season kernel and the baselines in plain Python, for the tests.

Nothing here is fast. The default rule goes through ``oddsmith.pricing.Book`` one
bet at a time, the baselines through the formulas written out again with Python
numbers, and every odds is recomputed from the state when it is needed. The
compiled season kernel must give the same integers.
"""

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oddsmith.markets import EventSpec
from oddsmith.pricing import Book, PricingParams
from sim import baselines as bl
from sim import population as pop
from sim.kernel import (
    C_ABSTAINED,
    C_ACCEPTED,
    C_REDUCED,
    C_REFUSED,
    C_REQUESTED,
    C_STAKE_ASKED,
    N_COUNTERS,
)
from sim.layout import EventLayout


def pool_odds(
    members: tuple[int, ...],
    backing: list[int],
    scale: int,
    prior: list[float],
    total: int,
    virtual: int,
    commission_bp: int,
    min_odds: int,
    max_odds: int,
) -> int:
    """Quote a selection under the generalised pool rule."""
    n = len(prior)
    backed = sum(backing[w] / scale + virtual * n * prior[w] for w in members)
    share = backed / (total + virtual * n)
    odds = 100.0 + 100.0 * (1.0 - share) / share * (1.0 - commission_bp / 10_000.0)
    return max_odds if odds >= max_odds else max(math.floor(odds), min_odds)


def pool_cap(
    members: tuple[int, ...],
    odds: int,
    payout: list[int],
    total: int,
    reserve: int,
    floor: int,
    per_bet_limit: int,
) -> int:
    """Return max(floor, (T + M - L) / (odds - 1)) with L the most owed on a member."""
    room = total + reserve - max(payout[w] for w in members)
    cap = floor
    if odds > 100 and room > 0:
        cap = max(cap, room * 100 // (odds - 100))
    return min(cap, per_bet_limit)


def lmsr_odds(
    members: tuple[int, ...],
    payout: list[int],
    b: int,
    margin_bp: int,
    min_odds: int,
    max_odds: int,
) -> int:
    """Quote a selection at its LMSR marginal price less the margin."""
    top = max(payout)
    weights = [math.exp((p - top) / b) for p in payout]
    price = sum(weights[w] for w in members) / sum(weights)
    odds = 100.0 * (1.0 - margin_bp / 10_000.0) / price
    return max_odds if odds >= max_odds else max(math.floor(odds), min_odds)


def lmsr_payout(
    members: tuple[int, ...],
    stake: int,
    payout: list[int],
    b: int,
    margin_bp: int,
    max_odds: int,
) -> int:
    """Solve C(q + x 1_A) - C(q) = stake for the payout x, less the margin."""
    top = max(payout)
    weights = [math.exp((p - top) / b) for p in payout]
    ratio = sum(weights) / sum(weights[w] for w in members)
    y = stake / b
    if y > 30.0:
        bought = b * (y + math.log(ratio) + math.log1p((1 / ratio - 1) * math.exp(-y)))
    else:
        bought = b * math.log1p(ratio * math.expm1(y))
    paid = math.floor(bought * (1.0 - margin_bp / 10_000.0))
    return min(paid, stake * max_odds // 100)


@dataclass
class _State:
    n_sel: int
    n_out: int
    stake_sel: list[int] = field(default_factory=list)
    backing: list[int] = field(default_factory=list)
    payout: list[int] = field(default_factory=list)
    total: int = 0

    def __post_init__(self) -> None:
        self.stake_sel = [0] * self.n_sel
        self.backing = [0] * self.n_out
        self.payout = [0] * self.n_out


def reference_event(
    kind: str,
    settings: dict[str, int],
    spec: EventSpec,
    layout: EventLayout,
    truth: list[float],
    outcome_prior: list[float],
    outcome: int,
    bets: dict[str, Any],
    bettors: list[pop.BettorModel],
    herd_window: float,
) -> dict[str, Any]:
    """Replay one event's bets under one policy and return the kernel's outputs.

    ``kind`` is "default" (``settings`` are PricingParams fields), "pool" or "lmsr"
    (``settings`` are the packed baseline parameters by name, with ``b`` for the
    LMSR). ``bets`` holds the event's time, bettor, stake and two uniforms.
    """
    members = [tuple(sel.outcomes) for sel in spec.selections]
    starts = [int(x) for x in layout.market_ptr]
    n_sel, n_out = len(members), len(spec.outcomes)
    state = _State(n_sel, n_out)
    book = Book(spec, PricingParams(**settings)) if kind == "default" else None
    min_stake = settings["min_stake"]
    min_odds = settings["min_odds"]

    def odds_of(j: int) -> int:
        if book is not None:
            return int(book.odds()[j])
        if kind == "pool":
            return pool_odds(
                members[j],
                state.backing,
                layout.backing_scale,
                outcome_prior,
                state.total,
                settings["virtual"],
                settings["commission_bp"],
                min_odds,
                settings["max_odds"],
            )
        return lmsr_odds(
            members[j],
            state.payout,
            settings["b"],
            settings["margin_bp"],
            min_odds,
            settings["max_odds"],
        )

    def cap_of(j: int, odds: int) -> int:
        if odds < min_odds:
            return 0
        if book is not None:
            return int(book.max_stakes()[0][j])
        if kind == "pool":
            return pool_cap(
                members[j],
                odds,
                state.payout,
                state.total,
                settings["reserve"],
                settings["floor"],
                settings["per_bet_limit"],
            )
        return settings["per_bet_limit"]

    counters = [0] * N_COUNTERS
    n_types = len(bettors)
    type_stake, type_payout, type_edge = [0] * n_types, [0] * n_types, [0.0] * n_types
    prev_snap: list[int] = []
    cur_snap: list[int] = []
    snap_time = 0.0
    for b in range(len(bets["time"])):
        k = int(bets["bettor"][b])
        model = bettors[k]
        code = pop.KINDS[model.kind]
        if not prev_snap or (
            herd_window > 0 and bets["time"][b] >= snap_time + herd_window
        ):
            odds_now = [odds_of(j) for j in range(n_sel)]
            prev_snap = odds_now if not prev_snap else cur_snap
            cur_snap = odds_now
            if herd_window > 0:
                snap_time = math.floor(bets["time"][b] / herd_window) * herd_window

        cum = np.cumsum(list(_weights(model, spec))) / sum(_weights(model, spec))
        m = 0
        while m < len(starts) - 2 and bets["u_market"][b] > cum[m]:
            m += 1
        j = _choose(
            code,
            model,
            m,
            bets["u_selection"][b],
            odds_of,
            starts,
            truth,
            prev_snap,
            n_sel,
        )
        if j < 0:
            counters[C_ABSTAINED] += 1
            continue
        price = odds_of(j)
        counters[C_REQUESTED] += 1
        stake = int(bets["stake"][b])
        counters[C_STAKE_ASKED] += stake
        cap = cap_of(j, price)
        reduced = False
        if stake > cap:
            if cap >= min_stake and model.accept_reduced:
                stake, reduced = cap, True
            else:
                counters[C_REFUSED] += 1
                continue
        if kind == "lmsr":
            paid = lmsr_payout(
                members[j],
                stake,
                state.payout,
                settings["b"],
                settings["margin_bp"],
                settings["max_odds"],
            )
            if paid * 100 < stake * min_odds:
                counters[C_REFUSED] += 1
                continue
        elif book is not None:
            placed = book.place(j, stake, price, "exact")
            assert placed.accepted, placed
            paid = placed.payout
        else:
            paid = stake * price // 100
        counters[C_REDUCED if reduced else C_ACCEPTED] += 1
        state.stake_sel[j] += stake
        state.total += stake
        share = layout.backing_scale // len(members[j])
        for w in members[j]:
            state.payout[w] += paid
            state.backing[w] += stake * share
        type_stake[k] += stake
        type_edge[k] += truth[j] * paid - stake
        if outcome in members[j]:
            type_payout[k] += paid
    return {
        "result": state.total - state.payout[outcome],
        "turnover": state.total,
        "worst": max(state.payout) - state.total,
        "counters": counters,
        "type_stake": type_stake,
        "type_payout": type_payout,
        "type_edge": type_edge,
    }


def _weights(model: pop.BettorModel, spec: EventSpec) -> list[float]:
    if not model.markets:
        return [1.0] * len(spec.markets)
    return [model.markets.get(market.code, 0.0) for market in spec.markets]


def _choose(
    code: int,
    model: pop.BettorModel,
    m: int,
    u: float,
    odds_of: Any,
    starts: list[int],
    truth: list[float],
    prev_snap: list[int],
    n_sel: int,
) -> int:
    lo, hi = starts[m], starts[m + 1]
    if code == pop.INFORMED:
        best, best_edge = -1, model.min_edge
        for j in range(n_sel):
            edge = truth[j] * odds_of(j) / 100.0 - 1.0
            if edge >= best_edge:
                best, best_edge = j, edge
        return best
    if code == pop.ADVERSARY:
        return max(range(lo, hi), key=lambda j: (odds_of(j), -j))
    if code == pop.HERD:
        best, best_move = -1, model.herd_threshold
        for j in range(lo, hi):
            move = (prev_snap[j] - odds_of(j)) / prev_snap[j]
            if move >= best_move:
                best, best_move = j, move
        if best >= 0:
            return best
    if model.favourite_bias == 0.0:
        return lo + min(int(u * (hi - lo)), hi - lo - 1)
    weights = [(100.0 / odds_of(j)) ** model.favourite_bias for j in range(lo, hi)]
    target = u * sum(weights)
    acc = 0.0
    for offset, weight in enumerate(weights[:-1]):
        acc += weight
        if acc >= target:
            return lo + offset
    return hi - 1


def baseline_settings(params: np.ndarray, kind: str) -> dict[str, int]:
    """Unpack a baseline's kernel parameter vector into named settings."""
    common = {
        "min_odds": int(params[bl.P_MIN_ODDS]),
        "max_odds": int(params[bl.P_MAX_ODDS]),
        "per_bet_limit": int(params[bl.P_PER_BET_LIMIT]),
        "min_stake": int(params[bl.P_MIN_STAKE]),
    }
    if kind == "pool":
        return {
            **common,
            "virtual": int(params[bl.P_POOL_VIRTUAL]),
            "commission_bp": int(params[bl.P_POOL_COMMISSION_BP]),
            "reserve": int(params[bl.P_POOL_RESERVE]),
            "floor": int(params[bl.P_POOL_FLOOR]),
        }
    return {
        **common,
        "b": int(params[bl.P_LMSR_B]),
        "margin_bp": int(params[bl.P_LMSR_MARGIN_BP]),
    }
