"""Compute risk statistics of house results.

House results are integer cents, positive when the house wins. Risk statistics speak
of losses, the negated results. Quantiles of integer samples stay integers; means are
statistics and may be floats.
"""

import math

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]


def _tail_count(n: int, level: float) -> float:
    # Rounding keeps 100 * (1 - 0.99) from landing a hair above 1.
    return round(n * (1.0 - level), 9)


def value_at_risk(results: npt.ArrayLike, level: float = 0.99) -> int:
    """Return the loss that the house exceeds with probability at most ``1 - level``.

    This is the empirical quantile of the losses without interpolation: the smallest
    sample loss x such that at least ``level`` of the samples lose x or less.
    """
    losses = np.sort(-np.asarray(results, dtype=np.int64))
    if losses.size == 0:
        raise ValueError("value at risk needs at least one result")
    rank = max(math.ceil(round(level * losses.size, 9)), 1)
    return int(losses[rank - 1])


def conditional_value_at_risk(results: npt.ArrayLike, level: float = 0.99) -> float:
    """Return the mean loss over the worst ``1 - level`` share of the samples.

    When that share is not a whole number of samples, the value at risk fills the
    fraction left over, so the statistic is coherent for any sample size.
    """
    losses = np.sort(-np.asarray(results, dtype=np.int64))[::-1]
    if losses.size == 0:
        raise ValueError("conditional value at risk needs at least one result")
    tail = _tail_count(losses.size, level)
    if tail <= 0:
        return float(losses[0])
    whole = math.floor(tail)
    total = float(losses[:whole].sum())
    if tail > whole:
        total += (tail - whole) * value_at_risk(results, level)
    return total / tail


def drawdowns(results: IntArray, axis: int = -1) -> IntArray:
    """Return the worst fall from a running peak of the cumulative results.

    The running total starts at zero before the first result, so a first loss
    already counts as a drawdown.
    """
    results = np.asarray(results, dtype=np.int64)
    path = np.cumsum(results, axis=axis)
    zero_shape = list(path.shape)
    zero_shape[axis] = 1
    path = np.concatenate([np.zeros(zero_shape, dtype=np.int64), path], axis=axis)
    peaks = np.maximum.accumulate(path, axis=axis)
    return np.max(peaks - path, axis=axis)


def max_drawdown(results: npt.ArrayLike) -> int:
    """Return the worst drawdown of one sequence of results."""
    return int(drawdowns(np.asarray(results, dtype=np.int64)))


def ruined(results: IntArray, bankroll: int) -> npt.NDArray[np.bool_]:
    """Tell for each row of results whether the bankroll ever fell to zero or below."""
    results = np.atleast_2d(np.asarray(results, dtype=np.int64))
    lowest = np.minimum.accumulate(np.cumsum(results, axis=1), axis=1)[:, -1]
    return bankroll + lowest <= 0


def ruin_probability(results: IntArray, bankroll: int) -> float:
    """Return the share of seasons (rows) in which the bankroll was wiped out."""
    return float(np.mean(ruined(results, bankroll)))


def ruin_interval(ruins: int, seasons: int, z: float = 1.96) -> tuple[float, float]:
    """Return a Wilson score interval for a ruin probability seen in a sample.

    The Wilson interval stays inside [0, 1] and is not degenerate at zero ruins,
    which is the usual case for a sound policy.
    """
    if seasons <= 0:
        return (0.0, 1.0)
    share = ruins / seasons
    denominator = 1.0 + z * z / seasons
    centre = (share + z * z / (2 * seasons)) / denominator
    spread = (
        z * math.sqrt(share * (1 - share) / seasons + z * z / (4 * seasons**2))
    ) / denominator
    return (max(0.0, centre - spread), min(1.0, centre + spread))
