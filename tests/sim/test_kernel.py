"""The compiled season kernel against the plain-Python replay and the closed forms."""

import math

import numpy as np
import pytest

from oddsmith.pricing import PricingParams
from sim import kernel, runner
from sim.config import parse_config
from sim.population import draw_bets
from sim.reference import baseline_settings, reference_event

from .conftest import football_config


def _event_bets(draws, e):
    lo, hi = draws.event_ptr[e], draws.event_ptr[e + 1]
    return {
        "time": draws.time[lo:hi],
        "bettor": draws.bettor[lo:hi],
        "stake": draws.stake[lo:hi],
        "u_market": draws.u_market[lo:hi],
        "u_selection": draws.u_selection[lo:hi],
    }


def _compare_with_reference(config, seed: int) -> int:
    """Run one season through the kernel and the replay; return events compared."""
    prep = runner.prepare(config)
    specs, _, _, _ = runner.event_specs(config)
    rng = runner.season_rng(seed, 0)
    draws = draw_bets(
        rng, list(config.population), config.arrivals, len(prep.outcome_prob)
    )
    outcome = runner.draw_outcomes(rng, prep.outcome_prob)
    for policy, policy_config in zip(prep.policies, config.policies, strict=True):
        got = runner.run_policy_season(prep, policy, draws, outcome)
        if policy.code == kernel.DEFAULT:
            fields = PricingParams.for_football().to_json_obj()
            p = policy.params
            fields.update(
                margin_bp=int(p[0]), liquidity=int(p[1]), b0=int(p[2]),
                alpha_bp=int(p[3]), per_bet_limit=int(p[6]),
            )  # fmt: skip
            kind, settings = "default", fields
        else:
            kind = policy_config.kind
            settings = baseline_settings(policy.params, kind)
        for e, spec in enumerate(specs):
            want = reference_event(
                kind, settings, spec, prep.layout, list(prep.truth[e]),
                list(prep.oprior[e]), int(outcome[e]), _event_bets(draws, e),
                list(config.population), config.herd_window,
            )  # fmt: skip
            where = f"{policy.name}, event {e}"
            assert got[0][e] == want["result"], where
            assert got[1][e] == want["turnover"], where
            assert got[2][e] == want["worst"], where
            assert got[3][e].tolist() == want["counters"], where
            assert got[4][e].tolist() == want["type_stake"], where
            assert got[5][e].tolist() == want["type_payout"], where
            assert got[6][e] == pytest.approx(want["type_edge"], rel=1e-9), where
    return len(specs)


def test_kernel_matches_the_replay_through_oddsmith_book_and_the_baselines() -> None:
    """Every policy's per-event numbers equal a bet-by-bet replay, where the default
    rule goes through oddsmith.pricing.Book: the simulator prices with the engine."""
    assert _compare_with_reference(football_config(), seed=11) == 6


def test_kernel_matches_the_replay_on_roulette() -> None:
    """The same holds on roulette, with its 49 overlapping selections."""
    config = football_config(
        game="roulette",
        events_per_season=4,
        population=[
            {"kind": "roulette", "share": 0.8, "stake": {"median": 2000}},
            {"kind": "adversary", "share": 0.2, "stake": {"median": 500, "sigma": 0}},
        ],
        policies=[
            {"kind": "default", "b0": 10_000, "liquidity": 5_000},
            {"kind": "pool"},
            {"kind": "lmsr", "loss_bound": 20_000},
        ],
    )
    assert _compare_with_reference(config, seed=5) == 4


def _run(config, seed: int = 1):
    prep, results = runner.run(config, seed, workers=1)
    return prep, results


def test_default_rule_never_loses_more_than_its_budget() -> None:
    """Under attack by whales and cap-probing adversaries, no event's worst case
    passes B0 + alpha * T, the engine's promise, while the cap does bind."""
    config = football_config(
        seasons=4,
        events_per_season=30,
        policies=[
            {"kind": "default", "grid": {"b0": [5_000, 50_000], "alpha_bp": [0, 5000]}}
        ],
    )
    prep, results = _run(config)
    for p, policy in enumerate(prep.policies):
        turnover = results.turnover[p]
        bound = policy.b0 + policy.alpha_bp * turnover // 10_000
        assert np.all(results.worst[p] <= bound), policy.name
        assert np.all(-results.result[p] <= bound), policy.name
        # The test means something only if the cap actually had to act.
        touched = results.counters[p][:, kernel.C_REDUCED].sum()
        touched += results.counters[p][:, kernel.C_REFUSED].sum()
        assert touched > 0, policy.name


def test_lmsr_never_loses_more_than_b_ln_n() -> None:
    """The LMSR's worst case on every event stays within b * ln(3), even when
    margin-free whales pile onto the favourite and push the loss near the bound."""
    config = football_config(
        seasons=2,
        events_per_season=30,
        population=[
            {"kind": "noise", "share": 0.5},
            {
                "kind": "whale",
                "share": 0.5,
                "favourite_bias": 8.0,
                "markets": {"1x2": 1.0},
                "stake": {"median": 20_000},
            },
        ],
        policies=[{"kind": "lmsr", "loss_bound": 10_000, "margin_bp": 0}],
    )
    prep, results = _run(config)
    bound = prep.policies[0].loss_bound
    assert np.all(results.worst[0] <= bound)
    assert results.worst[0].max() > 0.9 * bound


def test_roulette_house_edge_converges_to_one_in_thirty_seven() -> None:
    """Even-handed roulette players at the casino payouts leave the house 1/37 of
    turnover, within four standard errors of the ratio estimate."""
    config = parse_config(
        {
            "game": "roulette",
            "seasons": 1,
            "events_per_season": 20_000,
            "bankroll": 10**9,
            "arrivals": {"mean_bets": 20},
            "population": [
                {
                    "kind": "roulette",
                    "share": 1.0,
                    "stake": {"median": 1000, "sigma": 1.0},
                }
            ],
            # Liquidity far above the stakes keeps every price at the casino's.
            "policies": [{"kind": "default", "liquidity": 10**11, "b0": 10**9}],
        }
    )
    _, results = _run(config)
    result = results.result[0, 0].astype(np.float64)
    turnover = results.turnover[0, 0].astype(np.float64)
    edge = 1 / 37
    # Delta method: the ratio of sums has variance var(r - edge * t) / (n * mean t^2).
    residual = result - edge * turnover
    stderr = residual.std(ddof=1) / (math.sqrt(result.size) * turnover.mean())
    earned = result.sum() / turnover.sum()
    assert abs(earned - edge) < 4 * stderr
    # The expectation at the true probabilities is exact, free of the wheel's luck.
    expected = -results.type_edge[0, 0].sum() / turnover.sum()
    assert expected == pytest.approx(edge, rel=1e-9)
    assert results.counters[0, 0, kernel.C_REFUSED] == 0
