"""The baselines against their textbook forms."""

import math

import numpy as np
import pytest

from sim import baselines as bl
from sim import reference as ref

MIN_ODDS, MAX_ODDS = 101, 100_000


def _two_way_layout():
    sel_ptr = np.array([0, 1, 2], dtype=np.int64)
    sel_out = np.array([0, 1], dtype=np.int64)
    return sel_ptr, sel_out


@pytest.mark.parametrize(("on_a", "on_b"), [(0, 0), (5_000, 0), (12_345, 67_890)])
def test_pool_rule_on_two_outcomes_is_the_original_formula(on_a, on_b) -> None:
    """With two even outcomes the generalised rule quotes
    1 + (T_other + V) / (T_i + V) * (1 - c), rounded down to the tick."""
    sel_ptr, sel_out = _two_way_layout()
    params = bl.pool_params(10_000, 5_000, 5_000, 1_000, MIN_ODDS, MAX_ODDS, 10**9, 1)
    backing = np.array([on_a, on_b], dtype=np.int64)
    prior = np.array([0.5, 0.5])
    total = on_a + on_b
    got = bl.pool_odds(0, sel_ptr, sel_out, backing, 1, prior, total, params)
    want = math.floor(100 * (1 + (on_b + 10_000) / (on_a + 10_000) * 0.5))
    assert abs(got - want) <= 1  # the two orders of float operations may split a tick
    assert got == ref.pool_odds((0,), [on_a, on_b], 1, [0.5, 0.5], total, 10_000,
                                5_000, MIN_ODDS, MAX_ODDS)  # fmt: skip


def test_pool_cap_is_the_original_formula_with_its_floor() -> None:
    """The cap is max(floor, (T + M - L_i) / (odds_i - 1)), floor when L_i is large."""
    sel_ptr, sel_out = _two_way_layout()
    params = bl.pool_params(10_000, 5_000, 5_000, 1_000, MIN_ODDS, MAX_ODDS, 10**9, 1)
    payout = np.array([20_000, 0], dtype=np.int64)
    assert bl.pool_max_stake(0, 150, sel_ptr, sel_out, payout, 30_000, params) == 30_000
    payout[0] = 40_000
    assert bl.pool_max_stake(0, 150, sel_ptr, sel_out, payout, 30_000, params) == 1_000


def test_lmsr_payout_solves_the_cost_function() -> None:
    """A stake buys x with b ln(sum e^(q/b)) rising by exactly the stake."""
    sel_ptr = np.array([0, 1, 2, 3], dtype=np.int64)
    sel_out = np.array([0, 1, 2], dtype=np.int64)
    b = 50_000
    params = bl.lmsr_params(b, 0, MIN_ODDS, MAX_ODDS, 10**9, 1)
    payout = np.array([30_000, 5_000, 0], dtype=np.int64)
    weights = np.empty(3)
    total = bl.lmsr_weights(payout, float(b), weights)
    for stake in (1, 777, 40_000, 5_000_000):
        x = bl.lmsr_payout(1, stake, sel_ptr, sel_out, weights, total, params)

        def cost(q):
            return b * math.log(sum(math.exp(v / b) for v in q))

        before = cost(payout)
        after = cost([30_000, 5_000 + x, 0])
        after_more = cost([30_000, 5_000 + x + 1, 0])
        # x is the payout rounded down to the cent: one cent more would cost more.
        assert after <= before + stake + 1e-6 < after_more + 1e-6


def test_lmsr_prices_are_a_softmax_less_the_margin() -> None:
    """An empty three-way LMSR quotes each outcome at 3.00 less 5%: 2.85."""
    sel_ptr = np.array([0, 1, 2, 3], dtype=np.int64)
    sel_out = np.array([0, 1, 2], dtype=np.int64)
    params = bl.lmsr_params(10_000, 500, MIN_ODDS, MAX_ODDS, 10**9, 1)
    payout = np.zeros(3, dtype=np.int64)
    weights = np.empty(3)
    total = bl.lmsr_weights(payout, 10_000.0, weights)
    assert bl.lmsr_odds(0, sel_ptr, sel_out, weights, total, params) == 285
    assert bl.lmsr_liquidity_for(10_000, 3) == 9102
