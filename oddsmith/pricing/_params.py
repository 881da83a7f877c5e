"""Hold the numbers that tune the pricing engine, and the engine's fixed limits."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from oddsmith.pricing._errors import InvalidParams

# Basis points in one: margins and alpha are integers out of this.
BP = 10_000

# Largest total stake on one event, in cents (about 5.5 billion in currency
# units). Every product the kernels form stays inside int64 below it; see
# docs/pricing.md. The cap is folded into each bet's stake limit.
MAX_TOTAL_STAKE = 1 << 39

# Largest odds the engine can be configured to quote (1000.00).
MAX_ODDS_LIMIT = 100_000

# Largest alpha (1000%); far above any sensible value, it bounds products.
MAX_ALPHA_BP = 10 * BP

# Odds rules the engine knows, by the code the kernels switch on.
RULES: dict[str, int] = {"liquidity": 0}

# Odds policies a bet may carry, by the code the kernels switch on.
POLICY_EXACT = 0
POLICY_BETTER = 1
POLICY_ANY = 2
POLICIES: dict[str, int] = {
    "exact": POLICY_EXACT,
    "better": POLICY_BETTER,
    "any": POLICY_ANY,
}

# Why a bet was refused, by the code the kernels return; code 0 is acceptance.
ACCEPTED = 0
ODDS_CHANGED = 1
OVER_MAX_STAKE = 2
STAKE_TOO_SMALL = 3
REASONS: tuple[str | None, ...] = (
    None,
    "odds_changed",
    "over_max_stake",
    "stake_too_small",
)


@dataclass(frozen=True, kw_only=True)
class PricingParams:
    """Tune how one event is priced and how much risk its book may take.

    Money is in cents, odds in hundredths, rates in basis points.

    - ``margin_bp``: the book's margin; fair odds are multiplied by 1 - margin.
    - ``liquidity``: virtual stake per market spread over its selections by
      their priors; the larger it is, the less real money moves the odds.
    - ``b0``: fixed part of the loss budget of the event.
    - ``alpha_bp``: share of the total stake added to the loss budget.
    - ``min_odds`` / ``max_odds``: range quoted odds are clamped to.
    - ``per_bet_limit``: largest stake of a single bet.
    - ``min_stake``: smallest stake of a single bet.
    - ``rule``: which odds rule prices the event; only ``"liquidity"`` today.
    """

    margin_bp: int
    liquidity: int
    b0: int
    alpha_bp: int
    min_odds: int = 101
    max_odds: int = 100_000
    per_bet_limit: int
    min_stake: int = 1
    rule: str = "liquidity"

    def __post_init__(self) -> None:
        _check_range("margin_bp", self.margin_bp, 0, BP - 1)
        _check_range("liquidity", self.liquidity, 1, MAX_TOTAL_STAKE)
        _check_range("b0", self.b0, 0, MAX_TOTAL_STAKE)
        _check_range("alpha_bp", self.alpha_bp, 0, MAX_ALPHA_BP)
        _check_range("min_odds", self.min_odds, 100, MAX_ODDS_LIMIT)
        _check_range("max_odds", self.max_odds, self.min_odds, MAX_ODDS_LIMIT)
        _check_range("per_bet_limit", self.per_bet_limit, 0, MAX_TOTAL_STAKE)
        _check_range("min_stake", self.min_stake, 1, MAX_TOTAL_STAKE)
        if self.rule not in RULES:
            raise InvalidParams(f"unknown odds rule {self.rule!r}")

    @classmethod
    def for_football(cls) -> PricingParams:
        """Return the defaults for a football match.

        A 5% margin, as bookmakers commonly take on 1X2. Liquidity of 5,000.00
        per market: a bet of the per-bet limit (1,000.00) moves its selection's
        probability a sixth of the way towards certainty, and a bet of a few
        tens moves the price by a tick or two. A fixed budget of 5,000.00 plus
        half the turnover.
        """
        return cls(
            margin_bp=500,
            liquidity=500_000,
            b0=500_000,
            alpha_bp=5_000,
            per_bet_limit=100_000,
        )

    @classmethod
    def for_roulette(cls) -> PricingParams:
        """Return the defaults for one roulette spin.

        The known probabilities cap every price at fair odds less the margin;
        a margin of 2.7% (the single zero's edge) makes that cap exactly the
        casino's payouts: 36.00 on a number, 2.00 on red, 3.00 on a dozen.
        Those payouts hold while the money is spread in proportion to the
        chances. With liquidity of 100,000.00 per market an overbacked even
        chance drops to 1.99, then a tick per about 515.00 of imbalance; a
        lone number loses 0.13 for a first 10.00 on it. Budget 2,000.00 plus
        half the turnover, which caps a number at 57.97 on an empty table; at
        most 500.00 on one bet.
        """
        return cls(
            margin_bp=270,
            liquidity=10_000_000,
            b0=200_000,
            alpha_bp=5_000,
            per_bet_limit=50_000,
        )

    def to_json_obj(self) -> dict[str, Any]:
        """Return the parameters as a plain dict, ready for ``json.dumps``."""
        return asdict(self)

    @classmethod
    def from_json_obj(cls, obj: dict[str, Any]) -> PricingParams:
        """Rebuild parameters from what :meth:`to_json_obj` produced."""
        try:
            return cls(**obj)
        except TypeError as exc:
            raise InvalidParams(f"malformed pricing parameters: {exc}") from exc


def _check_range(name: str, value: int, low: int, high: int) -> None:
    # bool is an int too, and a float would smuggle fractions of a cent in.
    if type(value) is not int:
        raise InvalidParams(f"{name} must be an int, got {type(value).__name__}")
    if not low <= value <= high:
        raise InvalidParams(f"{name}={value} outside [{low}, {high}]")
