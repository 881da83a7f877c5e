"""Reach the production pricing engine's compiled pieces from the simulator.

The default odds rule and its cap must be the very kernels the workers run, so the
season kernel calls ``oddsmith.pricing``'s compiled ``selection_odds`` and
``selection_cap`` directly. They are private to that package today; this module is
the one place that reaches in, so a rename there breaks here and nowhere else.
"""

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from oddsmith.markets import EventSpec
from oddsmith.pricing import MAX_TOTAL_STAKE, PricingParams
from oddsmith.pricing.kernels import (
    N_PARAMS,
    PARAM_MAX_ODDS,
    PARAM_MIN_ODDS,
    PARAM_MIN_STAKE,
    PARAM_PER_BET_LIMIT,
    build_layout,
    selection_cap,
    selection_odds,
)

__all__ = [
    "MAX_TOTAL_STAKE",
    "N_PARAMS",
    "PARAM_MAX_ODDS",
    "PARAM_MIN_ODDS",
    "PARAM_MIN_STAKE",
    "PARAM_PER_BET_LIMIT",
    "DefaultTables",
    "base_params",
    "default_tables",
    "pricing_params",
    "selection_cap",
    "selection_odds",
]

IntArray = npt.NDArray[np.int64]


def base_params(game: str) -> PricingParams:
    """Return the production defaults the configuration's numbers override."""
    if game == "roulette":
        return PricingParams.for_roulette()
    return PricingParams.for_football()


@dataclass(frozen=True)
class DefaultTables:
    """The default rule's integer tables for every event of a season, stacked.

    Priors differ from match to match and the fair caps depend on the margin, so
    the tables are built per event and per parameter set; one row per event.
    """

    weight: IntArray
    fair_cap: IntArray
    market_mass: IntArray
    params: IntArray


def default_tables(specs: list[EventSpec], params: PricingParams) -> DefaultTables:
    """Build the pricing engine's tables for each event spec under these params."""
    # Roulette repeats one spec for every spin: build each distinct spec once.
    built: dict[int, Any] = {}
    layouts = []
    for spec in specs:
        if id(spec) not in built:
            built[id(spec)] = build_layout(spec, params)
        layouts.append(built[id(spec)])
    return DefaultTables(
        weight=np.stack([lay.weight for lay in layouts]),
        fair_cap=np.stack([lay.fair_cap for lay in layouts]),
        market_mass=np.stack([lay.market_mass for lay in layouts]),
        params=np.array(layouts[0].params, dtype=np.int64),
    )


def pricing_params(game: str, settings: dict[str, Any]) -> PricingParams:
    """Return the production defaults for the game with the given fields replaced."""
    fields = base_params(game).to_json_obj()
    fields.update(settings)
    return PricingParams.from_json_obj(fields)
