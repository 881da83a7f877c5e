"""Read a run configuration file (YAML or TOML) into typed settings.

Money in the file is integer cents, margins and alphas are basis points, times are
seconds. Every check of the file happens here, so the rest of the simulator can
trust what it is given.
"""

import itertools
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ConfigError
from sim.population import Arrivals, BettorModel, StakeDistribution

GAMES = ("football", "roulette")
POLICY_KINDS = ("default", "no_cap", "fixed_cap", "pool", "lmsr")
GRID_FIELDS = ("margin_bp", "liquidity", "b0", "alpha_bp")


@dataclass(frozen=True)
class PolicyConfig:
    """One policy to simulate, after the grid has been expanded.

    ``settings`` holds the policy's own numbers (all integers); ``grid`` holds, for
    points of the default rule's grid, the values that vary, for labels and plots.
    """

    name: str
    kind: str
    settings: dict[str, int]
    grid: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SimConfig:
    """Everything one run needs besides the seed and the worker count."""

    name: str
    game: str
    seasons: int
    events_per_season: int
    bankroll: int
    outcomes: str
    devig: str
    arrivals: Arrivals
    herd_window: float
    population: tuple[BettorModel, ...]
    policies: tuple[PolicyConfig, ...]
    level: float = 0.99
    seasons_per_task: int = 1


def _require(table: dict[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise ConfigError(f"{where} needs {key!r}")
    return table[key]


def _integer(value: Any, where: str, minimum: int | None = 0) -> int:
    # YAML reads 1e6 as a float and True as a bool; neither is an amount of cents.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{where} must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ConfigError(f"{where} must be at least {minimum}, got {value}")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{where} must be a number, got {value!r}")
    return float(value)


def _check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"{where} has unknown keys {sorted(unknown)}")


def _stake(table: dict[str, Any], where: str) -> StakeDistribution:
    _check_keys(table, {"median", "sigma", "min", "max"}, where)
    base = StakeDistribution()
    stake = StakeDistribution(
        median=_integer(table.get("median", base.median), f"{where}.median", 1),
        sigma=_number(table.get("sigma", base.sigma), f"{where}.sigma"),
        minimum=_integer(table.get("min", base.minimum), f"{where}.min", 1),
        maximum=_integer(table.get("max", base.maximum), f"{where}.max", 1),
    )
    if stake.minimum > stake.maximum:
        raise ConfigError(f"{where}: min is above max")
    return stake


_BETTOR_KEYS = {
    "kind",
    "share",
    "stake",
    "markets",
    "favourite_bias",
    "min_edge",
    "herd_threshold",
    "accept_reduced",
}


def _bettor(table: dict[str, Any], index: int) -> BettorModel:
    where = f"population[{index}]"
    _check_keys(table, _BETTOR_KEYS, where)
    kind = _require(table, "kind", where)
    # Roulette players pick evenly inside a market; everyone else follows the book.
    bias_default = 0.0 if kind == "roulette" else 1.0
    markets = table.get("markets", {})
    if not isinstance(markets, dict):
        raise ConfigError(f"{where}.markets maps market codes to weights")
    return BettorModel(
        kind=kind,
        share=_number(_require(table, "share", where), f"{where}.share"),
        stake=_stake(table.get("stake", {}), f"{where}.stake"),
        markets={str(k): _number(v, f"{where}.markets") for k, v in markets.items()},
        favourite_bias=_number(
            table.get("favourite_bias", bias_default), f"{where}.favourite_bias"
        ),
        min_edge=_number(table.get("min_edge", 0.02), f"{where}.min_edge"),
        herd_threshold=_number(
            table.get("herd_threshold", 0.02), f"{where}.herd_threshold"
        ),
        accept_reduced=bool(table.get("accept_reduced", True)),
    )


def _values(value: Any, where: str) -> list[int]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise ConfigError(f"{where} lists no values")
    return [_integer(v, where) for v in values]


def _policies(entries: Any) -> tuple[PolicyConfig, ...]:
    if not isinstance(entries, list) or not entries:
        raise ConfigError("policies must be a non-empty list")
    result: list[PolicyConfig] = []
    for index, table in enumerate(entries):
        where = f"policies[{index}]"
        if not isinstance(table, dict):
            raise ConfigError(f"{where} must be a table")
        kind = _require(table, "kind", where)
        if kind not in POLICY_KINDS:
            raise ConfigError(f"{where}.kind must be one of {POLICY_KINDS}")
        name = str(table.get("name", kind))
        settings = {
            key: value
            for key, value in table.items()
            if key not in ("kind", "name", "grid")
        }
        fixed = {k: _integer(v, f"{where}.{k}") for k, v in settings.items()}
        grid = table.get("grid")
        if grid is None:
            result.append(PolicyConfig(name=name, kind=kind, settings=fixed))
            continue
        if kind != "default" or not isinstance(grid, dict):
            raise ConfigError(f"{where}: only the default rule takes a grid table")
        _check_keys(grid, set(GRID_FIELDS), f"{where}.grid")
        axes = {k: _values(v, f"{where}.grid.{k}") for k, v in grid.items()}
        for point in itertools.product(*axes.values()):
            values = dict(zip(axes, point, strict=True))
            label = " ".join(f"{_SHORT[k]}={v}" for k, v in values.items())
            result.append(
                PolicyConfig(
                    name=f"{name} {label}",
                    kind=kind,
                    settings={**fixed, **values},
                    grid=values,
                )
            )
    names = [p.name for p in result]
    if len(set(names)) != len(names):
        raise ConfigError("policy names must be distinct")
    return tuple(result)


_SHORT = {"margin_bp": "m", "liquidity": "L", "b0": "B0", "alpha_bp": "a"}

_TOP_KEYS = {
    "name",
    "game",
    "seasons",
    "events_per_season",
    "bankroll",
    "outcomes",
    "devig",
    "arrivals",
    "herd_window",
    "population",
    "policies",
    "level",
    "seasons_per_task",
}


def parse_config(raw: dict[str, Any]) -> SimConfig:
    """Check a configuration already read into dicts and lists."""
    if not isinstance(raw, dict):
        raise ConfigError("a configuration is a table of settings")
    _check_keys(raw, _TOP_KEYS, "the configuration")
    game = raw.get("game", "football")
    if game not in GAMES:
        raise ConfigError(f"game must be one of {GAMES}, got {game!r}")
    outcomes = raw.get("outcomes", "sampled")
    if outcomes not in ("sampled", "actual") or (
        outcomes == "actual" and game != "football"
    ):
        raise ConfigError("outcomes is 'sampled', or 'actual' for football")

    arrivals_table = raw.get("arrivals", {})
    _check_keys(arrivals_table, {"mean_bets", "window", "ramp"}, "arrivals")
    arrivals = Arrivals(
        mean_bets=_number(arrivals_table.get("mean_bets", 400), "arrivals.mean_bets"),
        window=_number(arrivals_table.get("window", 3600), "arrivals.window"),
        ramp=_number(arrivals_table.get("ramp", 1.0), "arrivals.ramp"),
    )
    if arrivals.mean_bets < 0 or arrivals.window <= 0 or arrivals.ramp <= 0:
        raise ConfigError("arrivals need mean_bets >= 0, window > 0 and ramp > 0")

    population = raw.get("population")
    if not isinstance(population, list) or not population:
        raise ConfigError("population must be a non-empty list of bettor models")
    level = _number(raw.get("level", 0.99), "level")
    if not 0.5 <= level < 1.0:
        raise ConfigError("level must lie in [0.5, 1)")
    default_events = 360 if game == "football" else 1_000
    return SimConfig(
        name=str(raw.get("name", "simulation")),
        game=game,
        seasons=_integer(raw.get("seasons", 20), "seasons", 1),
        events_per_season=_integer(
            raw.get("events_per_season", default_events), "events_per_season", 1
        ),
        bankroll=_integer(_require(raw, "bankroll", "the configuration"), "bankroll"),
        outcomes=outcomes,
        devig=str(raw.get("devig", "power")),
        arrivals=arrivals,
        herd_window=_number(raw.get("herd_window", 300), "herd_window"),
        population=tuple(_bettor(t, i) for i, t in enumerate(population)),
        policies=_policies(raw.get("policies")),
        level=level,
        seasons_per_task=_integer(
            raw.get("seasons_per_task", 1), "seasons_per_task", 1
        ),
    )


def load_config(path: Path) -> SimConfig:
    """Read and check a YAML (.yaml, .yml) or TOML (.toml) configuration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        if path.suffix == ".toml":
            raw = tomllib.loads(text)
        elif path.suffix in (".yaml", ".yml"):
            raw = yaml.safe_load(text)
        else:
            raise ConfigError(f"{path}: use a .yaml, .yml or .toml file")
    except (yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path} is not valid: {exc}") from exc
    return parse_config(raw)
