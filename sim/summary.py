"""Reduce a run's raw numbers to the statistics each policy is judged by."""

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sim import kernel
from sim import metrics as mx
from sim.config import SimConfig
from sim.policies import Policy
from sim.runner import SimResults


@dataclass(frozen=True)
class PolicySummary:
    """What one policy did to the house and the bettors over every season.

    Amounts are in cents. Quantiles of results are whole cents; means and shares
    are statistics and may carry fractions.
    """

    name: str
    kind: str
    grid: dict[str, int]
    seasons: int
    events: int
    # House result per event, positive when the house wins.
    event_mean: float
    event_std: float
    event_var: int
    event_cvar: float
    event_worst: int
    # House result per season.
    season_mean: float
    season_std: float
    season_p05: int
    season_p50: int
    season_p95: int
    season_var: int
    season_cvar: float
    ruin_probability: float
    ruin_low: float
    ruin_high: float
    drawdown_mean: float
    drawdown_worst: int
    turnover_per_season: float
    bets_per_season: float
    refused_share: float
    reduced_share: float
    stake_cut_share: float
    margin_earned: float
    margin_expected: float
    informed_profit_per_season: float
    informed_expected_per_season: float
    profit_by_bettor: dict[str, float] = field(default_factory=dict)
    # Events whose worst case passed the policy's promised bound, if it has one.
    bound_breaches: int | None = None
    worst_to_bound: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the summary as plain data, ready for JSON."""
        return asdict(self)


def _quantile(values: np.ndarray, q: float) -> int:
    return int(np.quantile(values, q, method="inverted_cdf"))


def summarise(
    config: SimConfig, policies: tuple[Policy, ...], results: SimResults
) -> list[PolicySummary]:
    """Compute every policy's statistics from a run's raw numbers."""
    level = config.level
    labels = [m.kind for m in config.population]
    informed = np.asarray([kind == "informed" for kind in labels])
    summaries = []
    for p, policy in enumerate(policies):
        events = results.result[p]
        seasons = events.sum(axis=1)
        turnover = results.turnover[p]
        counters = results.counters[p].sum(axis=0)
        requested = max(int(counters[kernel.C_REQUESTED]), 1)
        profit = (results.type_payout[p] - results.type_stake[p]).astype(np.float64)
        edge = results.type_edge[p]
        draw = mx.drawdowns(events)
        ruins = mx.ruined(events, config.bankroll)
        low, high = mx.ruin_interval(int(ruins.sum()), len(seasons))
        total_turnover = max(int(turnover.sum()), 1)
        by_bettor: dict[str, float] = {}
        for t, kind in enumerate(labels):
            by_bettor[kind] = by_bettor.get(kind, 0.0) + float(profit[:, t].mean())

        breaches = ratio = None
        bound = policy.bound(turnover)
        if bound is not None:
            breaches = int((results.worst[p] > bound).sum())
            ratio = float(np.max(results.worst[p] / np.maximum(bound, 1)))

        summaries.append(
            PolicySummary(
                name=policy.name,
                kind=policy.kind,
                grid=dict(policy.grid),
                seasons=int(events.shape[0]),
                events=int(events.size),
                event_mean=float(events.mean()),
                event_std=float(events.std()),
                event_var=mx.value_at_risk(events.ravel(), level),
                event_cvar=mx.conditional_value_at_risk(events.ravel(), level),
                event_worst=int(-events.min()),
                season_mean=float(seasons.mean()),
                season_std=float(seasons.std()),
                season_p05=_quantile(seasons, 0.05),
                season_p50=_quantile(seasons, 0.50),
                season_p95=_quantile(seasons, 0.95),
                season_var=mx.value_at_risk(seasons, level),
                season_cvar=mx.conditional_value_at_risk(seasons, level),
                ruin_probability=float(ruins.mean()),
                ruin_low=low,
                ruin_high=high,
                drawdown_mean=float(draw.mean()),
                drawdown_worst=int(draw.max()),
                turnover_per_season=float(turnover.sum(axis=1).mean()),
                bets_per_season=float(
                    results.counters[p][:, kernel.C_REQUESTED].mean()
                ),
                refused_share=float(counters[kernel.C_REFUSED] / requested),
                reduced_share=float(counters[kernel.C_REDUCED] / requested),
                stake_cut_share=float(
                    1.0 - turnover.sum() / max(int(counters[kernel.C_STAKE_ASKED]), 1)
                ),
                margin_earned=float(events.sum() / total_turnover),
                margin_expected=float(-edge.sum() / total_turnover),
                informed_profit_per_season=float(
                    profit[:, informed].sum(axis=1).mean()
                ),
                informed_expected_per_season=float(
                    edge[:, informed].sum(axis=1).mean()
                ),
                profit_by_bettor=by_bettor,
                bound_breaches=breaches,
                worst_to_bound=ratio,
            )
        )
    return summaries
