"""Restate the pricing formulas in plain Python, for the tests to compare against.

Nothing here is fast or clever: Python integers cannot overflow, every quantity
is recomputed from the state when asked, and the maximum stake is found by
walking up from the closed form one cent at a time. The compiled kernels must
give exactly the same integers.
"""

from __future__ import annotations

from dataclasses import dataclass

from oddsmith.markets import EventSpec
from oddsmith.pricing._layout import (
    PRIOR_SCALE,
    fair_cap,
    market_mass,
    quantise_prior,
)
from oddsmith.pricing._params import BP, MAX_TOTAL_STAKE, PricingParams


@dataclass(frozen=True)
class ReferencePlacement:
    """What placing one bet gave, field for field like ``Placement``."""

    accepted: bool
    reason: str | None
    odds: int
    payout: int
    max_stake: int
    binding_outcome: int


def fits(stake: int, odds: int, headroom: int, alpha_bp: int) -> bool:
    """Return whether a stake at these odds keeps the outcome within budget.

    The budget inequality P + floor(s * o) <= B0 + alpha * (T + s) + T + s,
    multiplied by BP, with the terms that do not depend on s moved into
    ``headroom`` = BP * (B0 + T - P) + alpha * T.
    """
    return BP * (stake * odds // 100) - (BP + alpha_bp) * stake <= headroom


def max_stake(headroom: int, odds: int, alpha_bp: int, limit: int) -> tuple[int, bool]:
    """Return the largest stake up to ``limit`` such that every smaller one fits.

    The second value says whether the exposure binds rather than the limit.
    """
    excess = 100 * odds - BP - alpha_bp
    if excess <= 0:
        # Each cent staked raises the budget at least as much as the payout.
        return limit, False
    if not fits(0, odds, headroom, alpha_bp):
        return 0, True
    # Without rounding the cap would be headroom / excess; rounding the
    # payout down can only let more through, so start there and walk up.
    stake = min(headroom // excess, limit)
    while stake < limit and fits(stake + 1, odds, headroom, alpha_bp):
        stake += 1
    return stake, stake < limit


class ReferenceBook:
    """One event's state, kept in lists of Python ints."""

    def __init__(self, spec: EventSpec, params: PricingParams) -> None:
        self.params = params
        self.members = [sel.outcomes for sel in spec.selections]
        self.market_of = list(spec.selection_markets)
        self.weight: list[int] = []
        self.fair: list[int | None] = []
        self.mass: list[int] = []
        for market in spec.markets:
            weights = [quantise_prior(q) for q in market.prior]
            self.weight.extend(weights)
            self.mass.append(market_mass(market.prior))
            for k in range(len(market.selections)):
                if market.true_prob is None:
                    self.fair.append(None)
                else:
                    self.fair.append(
                        fair_cap(market.true_prob[k], params.margin_bp, params.max_odds)
                    )
        self.selection_stake = [0] * len(self.members)
        self.market_stake = [0] * len(spec.markets)
        self.liability = [0] * len(spec.outcomes)
        self.total = 0

    def odds_of(self, j: int) -> int:
        """Return (1 - margin) / p_j in hundredths, rounded down and clamped."""
        params = self.params
        m = self.market_of[j]
        # p_j = backed / (PRIOR_SCALE * (S + L)), both sides in millionths.
        backed = (
            self.mass[m] * self.selection_stake[j] + params.liquidity * self.weight[j]
        )
        pool = self.market_stake[m] + params.liquidity
        if backed == 0:
            odds = params.max_odds
        else:
            # 100 * (BP - margin) / BP / p_j, with p_j = backed / (PRIOR_SCALE * pool)
            odds = (BP - params.margin_bp) * PRIOR_SCALE * pool // (100 * backed)
        odds = min(max(odds, params.min_odds), params.max_odds)
        fair = self.fair[j]
        return odds if fair is None else min(odds, fair)

    def odds(self) -> list[int]:
        """Return the odds of every selection."""
        return [self.odds_of(j) for j in range(len(self.members))]

    def cap_of(self, j: int, odds: int) -> tuple[int, int]:
        """Return the maximum stake on ``j`` at ``odds`` and the binding outcome."""
        params = self.params
        worst = max(self.members[j], key=lambda w: (self.liability[w], -w))
        headroom = (
            BP * (params.b0 + self.total - self.liability[worst])
            + params.alpha_bp * self.total
        )
        limit = min(params.per_bet_limit, MAX_TOTAL_STAKE - self.total)
        cap, exposure_binds = max_stake(headroom, odds, params.alpha_bp, limit)
        return cap, worst if exposure_binds else -1

    def max_stakes(self) -> tuple[list[int], list[int]]:
        """Return every selection's maximum stake and binding outcome."""
        pairs = [self.cap_of(j, self.odds_of(j)) for j in range(len(self.members))]
        return [cap for cap, _ in pairs], [binding for _, binding in pairs]

    def add_accepted(self, j: int, stake: int, odds: int) -> None:
        """Book a bet without checks."""
        payout = stake * odds // 100
        self.selection_stake[j] += stake
        self.market_stake[self.market_of[j]] += stake
        self.total += stake
        for w in self.members[j]:
            self.liability[w] += payout

    def place(
        self, j: int, stake: int, quoted_odds: int, policy: str = "better"
    ) -> ReferencePlacement:
        """Check a bet against the current odds and cap, and book it if it passes."""
        odds = self.odds_of(j)
        cap, binding = self.cap_of(j, odds)

        def refuse(reason: str) -> ReferencePlacement:
            return ReferencePlacement(False, reason, odds, 0, cap, binding)

        if stake < self.params.min_stake:
            return refuse("stake_too_small")
        if policy == "exact" and odds != quoted_odds:
            return refuse("odds_changed")
        if policy == "better" and odds < quoted_odds:
            return refuse("odds_changed")
        if stake > cap:
            return refuse("over_max_stake")
        self.add_accepted(j, stake, odds)
        return ReferencePlacement(True, None, odds, stake * odds // 100, cap, binding)
