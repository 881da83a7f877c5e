"""Compile the season kernel for every policy code on a tiny season."""

import numpy as np

from oddsmith.markets import football
from sim import baselines as bl
from sim import engine, kernel
from sim.layout import build_layout, outcome_prior, selection_prior, selection_truth
from sim.population import (
    Arrivals,
    BettorModel,
    draw_bets,
    population_arrays,
)


def warm_up() -> None:
    """Run one small event under each policy code so later calls skip compilation."""
    spec = football((200, 340, 400))
    layout = build_layout(spec)
    params = engine.base_params("football")
    tables = engine.default_tables([spec], params)
    models = [BettorModel("noise", 1.0), BettorModel("informed", 1.0)]
    pop = population_arrays(models, layout)
    draws = draw_bets(np.random.default_rng(0), models, Arrivals(mean_bets=20), 1)
    prior = selection_prior(spec)
    truth = selection_truth(layout, np.array([0.4, 0.3, 0.3]))[None, :]
    oprior = outcome_prior(layout, prior)[None, :]
    vectors = {
        kernel.DEFAULT: tables.params,
        kernel.POOL: bl.pool_params(10_000, 5_000, 5_000, 1_000, 101, 100_000, 1, 1),
        kernel.LMSR: bl.lmsr_params(10_000, 300, 101, 100_000, 100_000, 1),
    }
    for code, vector in vectors.items():
        kernel.run_season(
            code,
            vector,
            layout.sel_ptr,
            layout.sel_out,
            layout.cover,
            layout.sel_market,
            layout.market_ptr,
            layout.backing_scale,
            tables.weight,
            tables.fair_cap,
            tables.market_mass,
            oprior,
            truth,
            np.zeros(1, dtype=np.int64),
            draws.event_ptr,
            draws.time,
            draws.bettor,
            draws.stake,
            draws.u_market,
            draws.u_selection,
            pop.kind,
            pop.params,
            pop.market_cum,
            300.0,
        )
