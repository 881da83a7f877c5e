"""Flatten an event's markets into the arrays the kernels index.

The kernels cannot walk dataclasses, so an ``oddsmith.markets.EventSpec`` becomes a
handful of numpy arrays: which outcomes each selection covers (in compressed rows),
which market each selection belongs to, and each selection's prior. The selection
order is the spec's own flattened order, market by market.
"""

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class EventLayout:
    """The shape of one kind of event: its outcomes, markets and selections."""

    n_outcomes: int
    market_codes: tuple[str, ...]
    selection_codes: tuple[str, ...]
    # Selection j covers outcomes sel_out[sel_ptr[j]:sel_ptr[j + 1]].
    sel_ptr: IntArray
    sel_out: IntArray
    # cover[j, w] is 1 when selection j wins on outcome w.
    cover: npt.NDArray[np.uint8]
    sel_market: IntArray
    # Market m holds selections market_ptr[m]:market_ptr[m + 1].
    market_ptr: IntArray
    # A multiple of every selection's outcome count, so that a stake split evenly
    # over the outcomes it covers stays a whole number of units.
    backing_scale: int

    @property
    def n_selections(self) -> int:
        """Return the number of selections over all markets."""
        return len(self.selection_codes)

    @property
    def n_markets(self) -> int:
        """Return the number of markets."""
        return len(self.market_codes)

    def market_index(self, code: str) -> int:
        """Return the position of the market with this code."""
        return self.market_codes.index(code)


def build_layout(spec: Any) -> EventLayout:
    """Flatten an ``EventSpec`` (outcomes, markets of selections) into arrays."""
    n_outcomes = len(spec.outcomes)
    market_codes: list[str] = []
    selection_codes: list[str] = []
    sel_ptr = [0]
    sel_out: list[int] = []
    sel_market: list[int] = []
    market_ptr = [0]
    for m, market in enumerate(spec.markets):
        market_codes.append(market.code)
        for selection in market.selections:
            selection_codes.append(selection.code)
            sel_out.extend(int(w) for w in selection.outcomes)
            sel_ptr.append(len(sel_out))
            sel_market.append(m)
        market_ptr.append(len(selection_codes))

    cover = np.zeros((len(selection_codes), n_outcomes), dtype=np.uint8)
    for j in range(len(selection_codes)):
        cover[j, sel_out[sel_ptr[j] : sel_ptr[j + 1]]] = 1
    sizes = {sel_ptr[j + 1] - sel_ptr[j] for j in range(len(selection_codes))}
    return EventLayout(
        n_outcomes=n_outcomes,
        market_codes=tuple(market_codes),
        selection_codes=tuple(selection_codes),
        sel_ptr=np.asarray(sel_ptr, dtype=np.int64),
        sel_out=np.asarray(sel_out, dtype=np.int64),
        cover=cover,
        sel_market=np.asarray(sel_market, dtype=np.int64),
        market_ptr=np.asarray(market_ptr, dtype=np.int64),
        backing_scale=math.lcm(*sizes),
    )


def selection_prior(spec: Any) -> FloatArray:
    """Return each selection's prior probability in the flattened order."""
    return np.asarray(
        [p for market in spec.markets for p in market.prior], dtype=np.float64
    )


def selection_truth(layout: EventLayout, outcome_prob: FloatArray) -> FloatArray:
    """Return the true probability that each selection wins."""
    return layout.cover.astype(np.float64) @ np.asarray(outcome_prob, np.float64)


def outcome_prior(layout: EventLayout, prior: FloatArray) -> FloatArray:
    """Return a prior over outcomes read from the single-outcome selections.

    Every game here has a market whose selections are the single outcomes (1x2,
    roulette's straight numbers); the first such market is used and normalised.
    """
    for m in range(layout.n_markets):
        lo, hi = layout.market_ptr[m], layout.market_ptr[m + 1]
        sizes = layout.sel_ptr[lo + 1 : hi + 1] - layout.sel_ptr[lo:hi]
        covered = layout.sel_out[layout.sel_ptr[lo] : layout.sel_ptr[hi]]
        if np.all(sizes == 1) and len(set(covered.tolist())) == layout.n_outcomes:
            result = np.zeros(layout.n_outcomes, dtype=np.float64)
            result[covered] = prior[lo:hi]
            return result / result.sum()
    return np.full(layout.n_outcomes, 1.0 / layout.n_outcomes)
