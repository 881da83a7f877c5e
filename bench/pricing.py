"""Measure what one bet costs in the pricing engine, compiled and reference.

Run from the repository root with ``python -m bench.pricing``; run as a script,
bench/ would go first on sys.path and its platform.py would shadow the standard
library's. For football (3 outcomes, 6 selections) and roulette (37 pockets, 49
selections) it times pricing, capping and booking a bet:

- ``place``: one ``Book.place`` call per bet, as a worker does;
- ``place+quote``: the same, followed by the full odds and caps a worker
  publishes after each bet;
- ``batch``: one ``simulate_bets`` call over every bet, as the simulator does.

Each is run against the compiled kernels and against the plain-Python
reference, on the same random bets, and the table ends with how many times
faster the kernels are. Timings are the best of a few repeats on fresh books.
Targets: ``place`` at most 5 µs per bet, ``batch`` at least 1,000,000 bets/s.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from oddsmith.markets import EventSpec, football, roulette
from oddsmith.pricing import POLICIES, Book, PricingParams, simulate_bets, warm_up
from oddsmith.pricing._reference import ReferenceBook


@dataclass(frozen=True)
class Bets:
    selections: np.ndarray
    stakes: np.ndarray

    def __len__(self) -> int:
        return len(self.selections)

    def head(self, count: int) -> Bets:
        return Bets(self.selections[:count], self.stakes[:count])


def random_bets(n_selections: int, count: int, seed: int) -> Bets:
    """Return bets spread over every selection with stakes of 1.00 to a few 100s."""
    rng = np.random.default_rng(seed)
    stakes = np.exp(rng.normal(np.log(2_000), 1.0, count)).astype(np.int64) + 100
    return Bets(rng.integers(0, n_selections, count, dtype=np.int64), stakes)


def best_of(
    repeats: int, run: Callable[[Any, Bets], float], make: Any, bets: Bets
) -> float:
    return min(run(make, bets) for _ in range(repeats))


def time_place(make: Callable[[], Book | ReferenceBook], bets: Bets) -> float:
    book = make()
    selections = bets.selections.tolist()
    stakes = bets.stakes.tolist()
    start = time.perf_counter()
    for j, stake in zip(selections, stakes, strict=True):
        book.place(j, stake, 0, "any")
    return (time.perf_counter() - start) / len(bets)


def time_place_and_quote(make: Callable[[], Book | ReferenceBook], bets: Bets) -> float:
    book = make()
    selections = bets.selections.tolist()
    stakes = bets.stakes.tolist()
    start = time.perf_counter()
    for j, stake in zip(selections, stakes, strict=True):
        book.place(j, stake, 0, "any")
        book.odds()
        book.max_stakes()
    return (time.perf_counter() - start) / len(bets)


def time_batch(make: Callable[[], Book], bets: Bets) -> float:
    book = make()
    start = time.perf_counter()
    simulate_bets(book, bets.selections, bets.stakes, 0, POLICIES["any"])
    return (time.perf_counter() - start) / len(bets)


def time_reference_batch(make: Callable[[], ReferenceBook], bets: Bets) -> float:
    # The reference has no batch path: a batch is the same loop of place calls.
    return time_place(make, bets)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bets", type=int, default=2_000_000, help="batch size")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    warm_up()
    print(f"kernels ready in {time.perf_counter() - start:.2f} s (compile or cache)")

    games: list[tuple[str, EventSpec, PricingParams]] = [
        ("football", football((210, 340, 360)), PricingParams.for_football()),
        ("roulette", roulette(), PricingParams.for_roulette()),
    ]
    rows = []
    for name, spec, params in games:
        bets = random_bets(len(spec.selections), args.bets, seed=7)

        def kernel_book(spec: EventSpec = spec, params: PricingParams = params) -> Book:
            return Book(spec, params)

        def reference_book(
            spec: EventSpec = spec, params: PricingParams = params
        ) -> ReferenceBook:
            return ReferenceBook(spec, params)

        # Same bets for both engines; fewer where a pass takes long.
        plans = [
            ("place", time_place, time_place, 200_000, 20_000),
            ("place+quote", time_place_and_quote, time_place_and_quote, 50_000, 2_000),
            ("batch", time_batch, time_reference_batch, args.bets, 20_000),
        ]
        for path, kernel_run, reference_run, n_kernel, n_reference in plans:
            kernel = best_of(args.repeats, kernel_run, kernel_book, bets.head(n_kernel))
            reference = best_of(
                args.repeats, reference_run, reference_book, bets.head(n_reference)
            )
            rows.append((name, path, kernel, reference))

        accepted = simulate_bets(
            Book(spec, params), bets.selections, bets.stakes, 0, POLICIES["any"]
        ).accepted.mean()
        print(f"{name}: {accepted:.1%} of the random bets accepted")

    print()
    header = (
        f"{'game':<9} {'path':<12} {'kernel µs/bet':>13} {'kernel bets/s':>14} "
        f"{'reference µs/bet':>16} {'ratio':>7}"
    )
    print(header)
    print("-" * len(header))
    for name, path, kernel, reference in rows:
        print(
            f"{name:<9} {path:<12} {kernel * 1e6:>13.3f} {1 / kernel:>14,.0f} "
            f"{reference * 1e6:>16.2f} {reference / kernel:>6.0f}x"
        )


if __name__ == "__main__":
    main()
