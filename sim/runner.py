"""Run every policy over many simulated seasons, in-process or on a Dask cluster.

A season's randomness comes from its own seed, ``SeedSequence(seed,
spawn_key=(season,))``, the same child ``SeedSequence(seed).spawn`` would hand out
at that index. A task runs a block of seasons under every policy, so every policy
faces the same bettors, stakes and results (common random numbers, which make the
differences between policies far less noisy than the policies themselves). Numbers
therefore depend on the seed and the season index only, never on which worker ran
the task or how many there were.
"""

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from oddsmith.markets import EventSpec, football, roulette
from sim import kernel
from sim.config import SimConfig
from sim.football import load_season
from sim.layout import (
    EventLayout,
    build_layout,
    outcome_prior,
    selection_prior,
    selection_truth,
)
from sim.policies import Policy, build_policy
from sim.population import PopulationArrays, draw_bets, population_arrays

logger = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# Below this many simulated bets a run stays in this process: starting a cluster
# would cost more than it saves.
IN_PROCESS_BETS = 3_000_000


@dataclass(frozen=True)
class Prepared:
    """Everything a task needs that does not change from season to season."""

    config: SimConfig
    layout: EventLayout
    policies: tuple[Policy, ...]
    population: PopulationArrays
    outcome_prob: FloatArray
    truth: FloatArray
    oprior: FloatArray
    actual: IntArray
    labels: tuple[str, ...]


@dataclass
class SimResults:
    """The raw numbers of a run, one leading row per policy and season.

    Per event: ``result`` (house result), ``turnover``, ``worst`` (the worst-case
    loss of the closed book). Per season: ``counters`` (``kernel.C_*``), and per
    bettor model ``type_stake``, ``type_payout`` and ``type_edge`` (expected profit
    at the true probabilities).
    """

    seed: int
    result: IntArray
    turnover: IntArray
    worst: IntArray
    counters: IntArray
    type_stake: IntArray
    type_payout: IntArray
    type_edge: FloatArray

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """Return the arrays by name, for saving."""
        return {
            "result": self.result,
            "turnover": self.turnover,
            "worst": self.worst,
            "counters": self.counters,
            "type_stake": self.type_stake,
            "type_payout": self.type_payout,
            "type_edge": self.type_edge,
        }


def event_specs(
    config: SimConfig,
) -> tuple[list[EventSpec], FloatArray, IntArray, list[str]]:
    """Return each event's spec, outcome probabilities, actual result and label."""
    n = config.events_per_season
    if config.game == "roulette":
        spec = roulette()
        prob = np.full((n, 37), 1.0 / 37)
        return (
            [spec] * n,
            prob,
            np.full(n, -1, dtype=np.int64),
            [f"spin {i + 1}" for i in range(n)],
        )
    matches = load_season(devig=config.devig)[:n]
    if len(matches) < n:
        logger.warning(
            "the season has %s matches, fewer than the %s asked for; using them all",
            len(matches),
            n,
        )
    specs = [football(m.opening_odds) for m in matches]
    prob = np.asarray([m.true_prob for m in matches], dtype=np.float64)
    actual = np.asarray([m.result for m in matches], dtype=np.int64)
    labels = [f"{m.day} {m.home}-{m.away}" for m in matches]
    return specs, prob, actual, labels


def prepare(config: SimConfig) -> Prepared:
    """Build the layout, the policies' tables and the per-event probabilities."""
    specs, prob, actual, labels = event_specs(config)
    layout = build_layout(specs[0])
    policies = tuple(
        build_policy(p, config.game, specs, layout.n_outcomes) for p in config.policies
    )
    truth = np.stack([selection_truth(layout, row) for row in prob])
    oprior = np.stack([outcome_prior(layout, selection_prior(s)) for s in specs])
    return Prepared(
        config=config,
        layout=layout,
        policies=policies,
        population=population_arrays(list(config.population), layout),
        outcome_prob=prob,
        truth=truth,
        oprior=oprior,
        actual=actual,
        labels=tuple(labels),
    )


def season_rng(seed: int, season: int) -> np.random.Generator:
    """Return the random generator of one season, from the run seed and its index."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(season,)))
    )


def draw_outcomes(rng: np.random.Generator, prob: FloatArray) -> IntArray:
    """Draw one outcome per event from its probabilities."""
    cumulative = np.cumsum(prob, axis=1)
    u = rng.random(prob.shape[0])[:, None] * cumulative[:, -1:]
    return np.minimum((u >= cumulative).sum(axis=1), prob.shape[1] - 1).astype(np.int64)


def run_policy_season(
    prep: Prepared, policy: Policy, draws: Any, outcome: IntArray
) -> tuple:
    """Run one policy over one season's draws in the compiled kernel."""
    layout = prep.layout
    pop = prep.population
    return kernel.run_season(
        policy.code,
        policy.params,
        layout.sel_ptr,
        layout.sel_out,
        layout.cover,
        layout.sel_market,
        layout.market_ptr,
        layout.backing_scale,
        policy.weight,
        policy.fair_cap,
        policy.market_mass,
        prep.oprior,
        prep.truth,
        outcome,
        draws.event_ptr,
        draws.time,
        draws.bettor,
        draws.stake,
        draws.u_market,
        draws.u_selection,
        pop.kind,
        pop.params,
        pop.market_cum,
        prep.config.herd_window,
    )


def run_block(prep: Prepared, seed: int, first: int, count: int) -> dict[str, Any]:
    """Run seasons first .. first + count - 1 under every policy."""
    config = prep.config
    n_pol = len(prep.policies)
    n_events = prep.outcome_prob.shape[0]
    n_types = len(config.population)
    out: dict[str, Any] = {
        "first": first,
        "result": np.zeros((n_pol, count, n_events), dtype=np.int64),
        "turnover": np.zeros((n_pol, count, n_events), dtype=np.int64),
        "worst": np.zeros((n_pol, count, n_events), dtype=np.int64),
        "counters": np.zeros((n_pol, count, kernel.N_COUNTERS), dtype=np.int64),
        "type_stake": np.zeros((n_pol, count, n_types), dtype=np.int64),
        "type_payout": np.zeros((n_pol, count, n_types), dtype=np.int64),
        "type_edge": np.zeros((n_pol, count, n_types), dtype=np.float64),
        "bets": 0,
    }
    for i in range(count):
        rng = season_rng(seed, first + i)
        draws = draw_bets(rng, list(config.population), config.arrivals, n_events)
        if config.outcomes == "actual":
            outcome = prep.actual
        else:
            outcome = draw_outcomes(rng, prep.outcome_prob)
        for p, policy in enumerate(prep.policies):
            result, turnover, worst, counters, stake, payout, edge = run_policy_season(
                prep, policy, draws, outcome
            )
            out["result"][p, i] = result
            out["turnover"][p, i] = turnover
            out["worst"][p, i] = worst
            out["counters"][p, i] = counters.sum(axis=0)
            out["type_stake"][p, i] = stake.sum(axis=0)
            out["type_payout"][p, i] = payout.sum(axis=0)
            out["type_edge"][p, i] = edge.sum(axis=0)
        out["bets"] += draws.n_bets * n_pol
    return out


def blocks(config: SimConfig) -> list[tuple[int, int]]:
    """Split the seasons into tasks of ``seasons_per_task`` seasons."""
    size = config.seasons_per_task
    return [
        (first, min(size, config.seasons - first))
        for first in range(0, config.seasons, size)
    ]


def expected_bets(config: SimConfig) -> float:
    """Return roughly how many bets the run will simulate."""
    return (
        config.seasons
        * config.events_per_season
        * config.arrivals.mean_bets
        * len(config.policies)
    )


def _assemble(seed: int, parts: list[dict[str, Any]]) -> SimResults:
    parts = sorted(parts, key=lambda part: part["first"])

    def stack(name: str) -> npt.NDArray[Any]:
        return np.concatenate([part[name] for part in parts], axis=1)

    return SimResults(
        seed=seed,
        result=stack("result"),
        turnover=stack("turnover"),
        worst=stack("worst"),
        counters=stack("counters"),
        type_stake=stack("type_stake"),
        type_payout=stack("type_payout"),
        type_edge=stack("type_edge"),
    )


ProgressFactory = Callable[[int], Any]


def _no_progress(total: int) -> Any:
    return _Quiet()


class _Quiet:
    def update(self, n: int = 1) -> None:
        """Ignore progress."""

    def close(self) -> None:
        """Ignore the end of the run."""


def run_in_process(
    prep: Prepared, seed: int, progress: ProgressFactory = _no_progress
) -> SimResults:
    """Run every task one after another in this process."""
    tasks = blocks(prep.config)
    bar = progress(len(tasks))
    parts = []
    try:
        for first, count in tasks:
            parts.append(run_block(prep, seed, first, count))
            bar.update(1)
    finally:
        bar.close()
    return _assemble(seed, parts)


def _warm_worker() -> bool:
    # Compile the season kernel before the first task arrives, so tasks are not
    # held up behind one another's compilation.
    from sim.warmup import warm_up

    warm_up()
    return True


def run_on_cluster(
    prep: Prepared,
    seed: int,
    client: Any,
    progress: ProgressFactory = _no_progress,
) -> SimResults:
    """Run the tasks on a Dask cluster and gather them in season order."""
    from distributed import as_completed

    client.run(_warm_worker)
    # A fresh key per run: a hashed key would be shared with an earlier run on the
    # same client, whose release could drop the data under this one's tasks.
    shared = client.scatter(prep, broadcast=True, hash=False)
    tasks = blocks(prep.config)
    futures = [
        client.submit(run_block, shared, seed, first, count, key=f"sim-block-{first}")
        for first, count in tasks
    ]
    bar = progress(len(tasks))
    parts = []
    try:
        for future in as_completed(futures):
            parts.append(future.result())
            bar.update(1)
    finally:
        bar.close()
    return _assemble(seed, parts)


def local_client(workers: int) -> Any:
    """Start a local cluster of single-threaded worker processes and connect to it."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
    )
    return Client(cluster)


def choose_workers(config: SimConfig, workers: int | None) -> int:
    """Return how many local workers to use: one for small runs, else every core."""
    if workers is not None:
        return max(1, workers)
    if expected_bets(config) < IN_PROCESS_BETS:
        return 1
    return max(1, min(os.cpu_count() or 1, len(blocks(config))))


def run(
    config: SimConfig,
    seed: int,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: ProgressFactory = _no_progress,
) -> tuple[Prepared, SimResults]:
    """Run a configuration with a seed, locally or on the cluster at ``scheduler``."""
    prep = prepare(config)
    if scheduler is not None:
        from distributed import Client

        logger.info("running on the Dask scheduler at %s", scheduler)
        with Client(scheduler) as client:
            return prep, run_on_cluster(prep, seed, client, progress)
    count = choose_workers(config, workers)
    if count == 1:
        logger.info("running in this process")
        return prep, run_in_process(prep, seed, progress)
    logger.info("starting a local Dask cluster of %s workers", count)
    with local_client(count) as client:
        try:
            return prep, run_on_cluster(prep, seed, client, progress)
        finally:
            client.cluster.close()
