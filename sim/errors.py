"""Exceptions of the simulator.

SimError
 ├── ConfigError   the run's configuration file is missing, malformed or inconsistent
 ├── DataError     a season data file cannot be read into matches
 └── PricingError  oddsmith's pricing engine lacks something the simulator needs
"""


class SimError(Exception):
    """Base of every error the simulator raises on purpose."""


class ConfigError(SimError):
    """Raised when a run configuration is missing, malformed or inconsistent."""


class DataError(SimError):
    """Raised when a season data file cannot be read into matches."""


class PricingError(SimError):
    """Raised when oddsmith's pricing engine lacks a piece the simulator needs."""
