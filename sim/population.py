"""Describe bettor populations and draw their bets.

A population is a list of bettor models, each with a share of the arrivals, a stake
distribution and a way of choosing what to back. The random part of every bet
(arrival time, bettor model, stake, two uniforms for the choice) is drawn here with
numpy; the choice itself happens inside the kernel, because it depends on the odds
at the moment the bet arrives.
"""

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from sim.errors import ConfigError
from sim.layout import EventLayout

# Kinds of bettor, as the kernel knows them.
NOISE = 0  # backs favourites more than their odds warrant
INFORMED = 1  # knows the true probabilities, bets only with an edge
HERD = 2  # backs whatever shortened over the last window
WHALE = 3  # a noise bettor with large stakes
ADVERSARY = 4  # probes the cap on the longest odds with many small bets
ROULETTE = 5  # picks a bet type, then a selection uniformly

KINDS = {
    "noise": NOISE,
    "informed": INFORMED,
    "herd": HERD,
    "whale": WHALE,
    "adversary": ADVERSARY,
    "roulette": ROULETTE,
}

# Columns of the per-model float parameters the kernel reads.
T_FAVOURITE_BIAS = 0
T_MIN_EDGE = 1
T_HERD_THRESHOLD = 2
T_ACCEPT_REDUCED = 3
N_TYPE_PARAMS = 4


@dataclass(frozen=True)
class StakeDistribution:
    """A log-normal stake in cents, rounded and clipped to [minimum, maximum]."""

    median: int = 1_000
    sigma: float = 1.0
    minimum: int = 100
    maximum: int = 1_000_000

    def draw(self, rng: np.random.Generator, size: int) -> npt.NDArray[np.int64]:
        """Draw stakes in whole cents."""
        if self.sigma == 0:
            return np.full(size, self.median, dtype=np.int64)
        raw = rng.lognormal(np.log(self.median), self.sigma, size)
        return np.clip(np.rint(raw), self.minimum, self.maximum).astype(np.int64)


@dataclass(frozen=True)
class BettorModel:
    """One kind of bettor with its share of arrivals and its habits."""

    kind: str
    share: float
    stake: StakeDistribution = field(default_factory=StakeDistribution)
    # Weight of each market (by code) when choosing where to bet; empty means even.
    markets: dict[str, float] = field(default_factory=dict)
    # Selection weight is (1 / odds) ** favourite_bias; 1 follows the book, 0 is even.
    favourite_bias: float = 1.0
    # Smallest expected return per unit staked that makes an informed bettor bet.
    min_edge: float = 0.02
    # Smallest relative shortening of odds that makes a herd bettor follow it.
    herd_threshold: float = 0.02
    # Whether the bettor takes a stake cut down to the cap rather than walking away.
    accept_reduced: bool = True

    def __post_init__(self) -> None:
        """Reject kinds the kernel does not know and shares that cannot be weights."""
        if self.kind not in KINDS:
            raise ConfigError(f"unknown bettor kind {self.kind!r}; know {list(KINDS)}")
        if not self.share > 0:
            raise ConfigError(f"bettor {self.kind!r} needs a positive share")


@dataclass(frozen=True)
class Arrivals:
    """How many bets an event draws and when they come.

    The count is Poisson with the given mean. Times fall in [0, window) seconds with
    density growing like t ** (ramp - 1): ramp 1 spreads bets evenly, a larger ramp
    crowds them towards the end, as bets crowd towards kick-off.
    """

    mean_bets: float = 400.0
    window: float = 3_600.0
    ramp: float = 1.0


@dataclass
class PopulationArrays:
    """The population as the kernel reads it."""

    kind: npt.NDArray[np.int64]
    params: npt.NDArray[np.float64]
    # Cumulative market weights, one row per model.
    market_cum: npt.NDArray[np.float64]


@dataclass
class BetDraws:
    """The random part of every bet of a season, in arrival order per event."""

    event_ptr: npt.NDArray[np.int64]
    time: npt.NDArray[np.float64]
    bettor: npt.NDArray[np.int64]
    stake: npt.NDArray[np.int64]
    u_market: npt.NDArray[np.float64]
    u_selection: npt.NDArray[np.float64]

    @property
    def n_bets(self) -> int:
        """Return the number of bets drawn."""
        return int(self.event_ptr[-1])


def population_arrays(
    models: list[BettorModel], layout: EventLayout
) -> PopulationArrays:
    """Pack bettor models into the arrays the kernel reads."""
    kinds = np.asarray([KINDS[m.kind] for m in models], dtype=np.int64)
    params = np.zeros((len(models), N_TYPE_PARAMS), dtype=np.float64)
    market_cum = np.zeros((len(models), layout.n_markets), dtype=np.float64)
    for i, model in enumerate(models):
        params[i, T_FAVOURITE_BIAS] = model.favourite_bias
        params[i, T_MIN_EDGE] = model.min_edge
        params[i, T_HERD_THRESHOLD] = model.herd_threshold
        params[i, T_ACCEPT_REDUCED] = 1.0 if model.accept_reduced else 0.0
        weights = np.ones(layout.n_markets)
        if model.markets:
            unknown = set(model.markets) - set(layout.market_codes)
            if unknown:
                raise ConfigError(
                    f"bettor {model.kind!r} names unknown markets {sorted(unknown)}; "
                    f"this game has {list(layout.market_codes)}"
                )
            weights = np.asarray(
                [model.markets.get(code, 0.0) for code in layout.market_codes]
            )
        if not weights.sum() > 0:
            raise ConfigError(f"bettor {model.kind!r} gives every market zero weight")
        market_cum[i] = np.cumsum(weights) / weights.sum()
        # Rounding must not leave the last market unreachable.
        market_cum[i, -1] = 1.0
    return PopulationArrays(kind=kinds, params=params, market_cum=market_cum)


def draw_bets(
    rng: np.random.Generator,
    models: list[BettorModel],
    arrivals: Arrivals,
    n_events: int,
) -> BetDraws:
    """Draw the bets of n_events events: counts, times, bettors, stakes, uniforms."""
    counts = rng.poisson(arrivals.mean_bets, n_events).astype(np.int64)
    event_ptr = np.zeros(n_events + 1, dtype=np.int64)
    np.cumsum(counts, out=event_ptr[1:])
    n = int(event_ptr[-1])

    # Sorting within each event: add the event index so one global sort suffices.
    offsets = np.repeat(np.arange(n_events, dtype=np.float64), counts)
    unit = rng.random(n) ** (1.0 / arrivals.ramp)
    order = np.argsort(offsets + unit * 0.999_999, kind="stable")
    time = unit[order] * arrivals.window

    shares = np.asarray([m.share for m in models], dtype=np.float64)
    bettor = rng.choice(len(models), size=n, p=shares / shares.sum()).astype(np.int64)
    stake = np.empty(n, dtype=np.int64)
    for i, model in enumerate(models):
        chosen = bettor == i
        stake[chosen] = model.stake.draw(rng, int(chosen.sum()))
    return BetDraws(
        event_ptr=event_ptr,
        time=time,
        bettor=bettor,
        stake=stake,
        u_market=rng.random(n),
        u_selection=rng.random(n),
    )
