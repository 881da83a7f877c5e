"""Measure the simulator's speed: bets per second on one core, and Dask's speed-up.

Not a test. Run from the repository root:

    python bench/sim.py [--seasons N]

Prints, side by side, the kernel's simulated bets per second on one core (target at
least 1,000,000) and the best wall time of a run on a local Dask cluster of one worker
and of two, with the speed-up of two over one last (target at least 1.6).
Compilation and cluster start-up are kept out of every timing.
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Python puts this script's folder first on the path, where bench/platform.py would
# shadow the standard library's platform module for everything imported after.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sim import runner  # noqa: E402 - the repository must be importable first
from sim.config import load_config  # noqa: E402
from sim.population import draw_bets  # noqa: E402
from sim.warmup import warm_up  # noqa: E402

EXAMPLE = ROOT / "sim" / "examples" / "example.yaml"


def kernel_rate(config, seasons: int) -> tuple[float, int]:
    """Return bets per second through the season kernel alone, on this core."""
    prep = runner.prepare(config)
    warm_up()
    bets = 0
    elapsed = 0.0
    for season in range(seasons):
        rng = runner.season_rng(1, season)
        draws = draw_bets(
            rng, list(config.population), config.arrivals, len(prep.outcome_prob)
        )
        outcome = runner.draw_outcomes(rng, prep.outcome_prob)
        for policy in prep.policies:
            started = time.perf_counter()
            runner.run_policy_season(prep, policy, draws, outcome)
            elapsed += time.perf_counter() - started
            bets += draws.n_bets
    return bets / elapsed, bets


def cluster_time(config, workers: int, repeat: int) -> float:
    """Return the best wall time of whole runs on a warmed local cluster."""
    prep = runner.prepare(config)
    with runner.local_client(workers) as client:
        try:
            # The first run compiles on every worker; time the ones after it.
            runner.run_on_cluster(prep, 1, client)
            best = float("inf")
            for attempt in range(repeat):
                started = time.perf_counter()
                runner.run_on_cluster(prep, 2 + attempt, client)
                best = min(best, time.perf_counter() - started)
            return best
        finally:
            client.cluster.close()


def main() -> None:
    """Run both measurements and print them with the speed-up last."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seasons", type=int, default=12, help="seasons per run")
    # On a shared machine the best of a few runs is the least disturbed one.
    parser.add_argument("--repeat", type=int, default=2, help="timed runs, best kept")
    args = parser.parse_args()

    base = load_config(EXAMPLE)
    # One season per task keeps the two workers evenly loaded.
    config = dataclasses.replace(
        base, seasons=args.seasons, seasons_per_task=1, policies=base.policies[::3]
    )
    rate, bets = kernel_rate(dataclasses.replace(config, seasons=2), 2)
    one = cluster_time(config, 1, args.repeat)
    two = cluster_time(config, 2, args.repeat)
    total = runner.expected_bets(config)
    print(f"policies: {len(config.policies)}, seasons: {config.seasons}")
    print(
        f"kernel, 1 core: {rate:,.0f} bets/s ({bets:,} bets) | "
        f"dask 1 worker: {one:.2f} s | dask 2 workers: {two:.2f} s "
        f"(~{total:,.0f} bets) | speed-up 2 over 1: {one / two:.2f}x"
    )


if __name__ == "__main__":
    main()
