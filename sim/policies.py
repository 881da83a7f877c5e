"""Turn the configured policies into what the season kernel runs.

``default`` is the production rule from ``oddsmith.pricing`` with the configured
fields replacing the game's defaults. ``no_cap`` and ``fixed_cap`` price with the
same rule but lift the exposure budget out of reach, the first also lifting the
per-bet limit, the second keeping only a fixed per-bet limit. ``pool`` and ``lmsr``
are the baselines of ``sim.baselines``.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from oddsmith.markets import EventSpec
from oddsmith.pricing import InvalidParams
from sim import baselines as bl
from sim import engine
from sim.config import PolicyConfig
from sim.errors import ConfigError
from sim.kernel import DEFAULT, LMSR, POOL

IntArray = npt.NDArray[np.int64]

# The earlier platform's constants, in currency units there; cents here.
POOL_VIRTUAL = 10_000
POOL_COMMISSION_BP = 5_000
POOL_RESERVE = 5_000
POOL_FLOOR = 1_000

_COMMON = ("min_odds", "max_odds", "per_bet_limit", "min_stake")
_ALLOWED = {
    "default": {"margin_bp", "liquidity", "b0", "alpha_bp", *_COMMON},
    "no_cap": {"margin_bp", "liquidity", "alpha_bp", "min_odds", "max_odds"},
    "fixed_cap": {"margin_bp", "liquidity", "cap", "min_odds", "max_odds"},
    "pool": {"virtual", "commission_bp", "reserve", "floor", *_COMMON},
    "lmsr": {"loss_bound", "margin_bp", *_COMMON},
}


@dataclass(frozen=True)
class Policy:
    """A policy ready for the kernel: its code, parameters and pricing tables."""

    name: str
    kind: str
    code: int
    params: IntArray
    # The default rule's per-event tables; baselines get zero tables of one row.
    weight: IntArray
    fair_cap: IntArray
    market_mass: IntArray
    grid: dict[str, int] = field(default_factory=dict)
    # The most the policy promises to lose on one event: b0 and alpha for the
    # default rule (the bound grows with turnover), a constant for the LMSR.
    b0: int | None = None
    alpha_bp: int | None = None
    loss_bound: float | None = None

    def bound(self, turnover: IntArray) -> npt.NDArray[np.float64] | None:
        """Return the promised worst loss of each event, or None without a promise."""
        if self.b0 is not None and self.alpha_bp is not None:
            return self.b0 + self.alpha_bp * np.asarray(turnover) // 10_000
        if self.loss_bound is not None:
            return np.full(np.shape(turnover), self.loss_bound)
        return None


def build_policy(
    config: PolicyConfig, game: str, specs: list[EventSpec], n_outcomes: int
) -> Policy:
    """Check one configured policy and build its kernel parameters and tables."""
    allowed = _ALLOWED[config.kind]
    unknown = set(config.settings) - allowed
    if unknown:
        raise ConfigError(
            f"policy {config.name!r} ({config.kind}) does not take {sorted(unknown)}"
        )
    base = engine.base_params(game)
    s = dict(config.settings)
    try:
        if config.kind in ("default", "no_cap", "fixed_cap"):
            return _default_family(config, game, specs, s)
    except InvalidParams as exc:
        raise ConfigError(f"policy {config.name!r}: {exc}") from exc

    common = {name: s.get(name, getattr(base, name)) for name in _COMMON}
    n_events = len(specs)
    n_sel = sum(len(m.selections) for m in specs[0].markets)
    zeros = np.zeros((n_events, n_sel), dtype=np.int64)
    mass = np.zeros((n_events, len(specs[0].markets)), dtype=np.int64)
    if config.kind == "pool":
        params = bl.pool_params(
            virtual=s.get("virtual", POOL_VIRTUAL),
            commission_bp=s.get("commission_bp", POOL_COMMISSION_BP),
            reserve=s.get("reserve", POOL_RESERVE),
            floor=s.get("floor", POOL_FLOOR),
            **common,
        )
        if not params[bl.P_POOL_COMMISSION_BP] < 10_000:
            raise ConfigError(f"policy {config.name!r}: commission_bp must be < 10000")
        return Policy(config.name, config.kind, POOL, params, zeros, zeros, mass)

    loss_bound = s.get("loss_bound", base.b0)
    b = bl.lmsr_liquidity_for(loss_bound, n_outcomes)
    if b < 1:
        raise ConfigError(f"policy {config.name!r}: loss_bound is too small")
    params = bl.lmsr_params(b=b, margin_bp=s.get("margin_bp", base.margin_bp), **common)
    return Policy(
        config.name,
        config.kind,
        LMSR,
        params,
        zeros,
        zeros,
        mass,
        loss_bound=b * math.log(n_outcomes),
    )


def _default_family(
    config: PolicyConfig, game: str, specs: list[EventSpec], s: dict[str, int]
) -> Policy:
    b0 = s.get("b0")
    alpha = s.get("alpha_bp")
    if config.kind == "no_cap":
        # Out of reach: the engine's whole capacity as budget and per-bet limit.
        s["b0"] = engine.MAX_TOTAL_STAKE
        s["per_bet_limit"] = engine.MAX_TOTAL_STAKE
        s.setdefault("alpha_bp", 0)
        b0 = alpha = None
    elif config.kind == "fixed_cap":
        if "cap" not in s:
            raise ConfigError(f"policy {config.name!r} needs cap, in cents")
        s["per_bet_limit"] = s.pop("cap")
        s["b0"] = engine.MAX_TOTAL_STAKE
        s.setdefault("alpha_bp", 0)
        b0 = alpha = None
    params = engine.pricing_params(game, s)
    tables = engine.default_tables(specs, params)
    if config.kind == "default":
        b0, alpha = params.b0, params.alpha_bp
    return Policy(
        config.name,
        config.kind,
        DEFAULT,
        tables.params,
        tables.weight,
        tables.fair_cap,
        tables.market_mass,
        grid=dict(config.grid),
        b0=b0,
        alpha_bp=alpha,
    )
