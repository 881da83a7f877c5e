"""Small configurations the simulator tests share."""

from typing import Any

import pytest

from sim.config import SimConfig, parse_config


def football_config(**overrides: Any) -> SimConfig:
    """Return a small football run: a few matches, every bettor kind, every policy."""
    raw: dict[str, Any] = {
        "name": "test",
        "game": "football",
        "seasons": 3,
        "events_per_season": 6,
        "bankroll": 500_000,
        "arrivals": {"mean_bets": 120, "window": 3600, "ramp": 1.5},
        "herd_window": 300,
        "population": [
            {"kind": "noise", "share": 0.6, "favourite_bias": 1.5},
            {"kind": "informed", "share": 0.15, "stake": {"median": 5000}},
            {"kind": "herd", "share": 0.1, "herd_threshold": 0.01},
            {
                "kind": "whale",
                "share": 0.05,
                "stake": {"median": 400_000, "min": 100_000, "max": 3_000_000},
            },
            {
                "kind": "adversary",
                "share": 0.1,
                "markets": {"1x2": 1.0},
                "stake": {"median": 300, "sigma": 0},
            },
        ],
        "policies": [
            {"kind": "default", "name": "tight", "b0": 20_000, "liquidity": 20_000},
            {"kind": "no_cap"},
            {"kind": "fixed_cap", "cap": 5_000},
            {"kind": "pool"},
            {"kind": "lmsr", "loss_bound": 30_000},
        ],
    }
    raw.update(overrides)
    return parse_config(raw)


@pytest.fixture
def small_football() -> SimConfig:
    """Return the small football configuration."""
    return football_config()
