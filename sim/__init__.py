"""Simulate what pricing policies do to the house and to bettors.

The default odds rule runs through ``oddsmith.pricing``'s own compiled kernels; the
baselines it is compared with live in ``sim.baselines``. ``python -m sim run``
drives a run from a configuration file; see docs/sim.md.
"""

from sim.config import SimConfig, load_config, parse_config
from sim.errors import ConfigError, DataError, PricingError, SimError

__all__ = [
    "ConfigError",
    "DataError",
    "PricingError",
    "SimConfig",
    "SimError",
    "load_config",
    "parse_config",
]
