"""The compiled pricing kernels, for code that drives them from its own kernels.

The simulator calls these from inside its numba loops; everything else should
use :class:`oddsmith.pricing.Book`. The array layout they read is built by
:func:`build_layout`, and the ``PARAM_*`` constants index its parameter row.
"""

from oddsmith.pricing._kernels import selection_cap, selection_odds
from oddsmith.pricing._layout import (
    N_PARAMS,
    PARAM_MAX_ODDS,
    PARAM_MIN_ODDS,
    PARAM_MIN_STAKE,
    PARAM_PER_BET_LIMIT,
    build_layout,
)

__all__ = [
    "N_PARAMS",
    "PARAM_MAX_ODDS",
    "PARAM_MIN_ODDS",
    "PARAM_MIN_STAKE",
    "PARAM_PER_BET_LIMIT",
    "build_layout",
    "selection_cap",
    "selection_odds",
]
