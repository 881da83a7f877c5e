"""Hypothesis strategies for events, parameters and bet sequences."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from oddsmith.markets import EventSpec, MarketSpec, SelectionSpec, football, roulette
from oddsmith.pricing import Book, PricingParams
from oddsmith.pricing._reference import ReferenceBook

# Bounded so the whole pricing suite stays near a minute on two busy cores.
SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

POLICY_NAMES = ("exact", "better", "any")


@st.composite
def custom_specs(draw: st.DrawFn) -> EventSpec:
    """Draw a small event whose selections overlap within and across markets."""
    n_outcomes = draw(st.integers(1, 6))
    outcome_sets = st.sets(
        st.integers(0, n_outcomes - 1), min_size=1, max_size=n_outcomes
    ).map(lambda s: tuple(sorted(s)))
    markets = []
    for m in range(draw(st.integers(1, 3))):
        members = draw(st.lists(outcome_sets, min_size=1, max_size=4))
        raw = draw(
            st.lists(
                st.floats(0.0, 1.0, allow_nan=False),
                min_size=len(members),
                max_size=len(members),
            )
        )
        # Keep the market's mass within the spec's bounds: (0, 4].
        total = sum(raw)
        if total < 1e-6:
            raw[0] = 1.0
            total = sum(raw)
        prior = tuple(q * 4.0 / total if total > 4.0 else q for q in raw)
        known = draw(st.booleans())
        markets.append(
            MarketSpec(
                code=f"m{m}",
                name=f"Market {m}",
                selections=tuple(
                    SelectionSpec(f"s{k}", f"Selection {k}", outcomes)
                    for k, outcomes in enumerate(members)
                ),
                prior=prior,
                true_prob=tuple(min(1.0, q) for q in prior) if known else None,
            )
        )
    return EventSpec(
        outcomes=tuple(f"o{w}" for w in range(n_outcomes)), markets=tuple(markets)
    )


opening_odds = st.tuples(
    st.integers(101, 3000), st.integers(101, 3000), st.integers(101, 3000)
)

specs = st.one_of(
    st.just(roulette()),
    st.builds(football, st.none() | opening_odds),
    custom_specs(),
)


@st.composite
def params(draw: st.DrawFn) -> PricingParams:
    """Draw parameters, tiny ones now and then, so caps and clamps often bind."""
    min_odds = draw(st.integers(100, 150) | st.integers(100, 1000))
    return PricingParams(
        margin_bp=draw(st.just(270) | st.integers(0, 3000)),
        liquidity=draw(st.integers(100, 2_000_000) | st.integers(1, 100)),
        b0=draw(st.integers(0, 5_000_000) | st.integers(0, 100)),
        alpha_bp=draw(st.integers(0, 20_000)),
        min_odds=min_odds,
        max_odds=draw(st.integers(min_odds, 100_000)),
        per_bet_limit=draw(
            st.integers(1_000, 1_000_000) | st.just(10**9) | st.integers(0, 1_000)
        ),
        min_stake=draw(st.just(1) | st.integers(1, 300)),
    )


@dataclass(frozen=True)
class BetPlan:
    """A bet described relative to the state it meets.

    ``size`` says how the stake is chosen: "raw" uses ``amount``; "cap",
    "cap+1" and "cap-1" aim at the current maximum stake; "huge" is far past
    any limit. The quoted odds are the current odds plus ``quote_shift``.
    """

    selection: int
    size: str
    amount: int
    quote_shift: int
    policy: str

    def resolve(self, odds: list[int], caps: list[int]) -> tuple[int, int, int]:
        """Return (selection, stake, quoted odds) for the given current state."""
        j = self.selection % len(odds)
        if self.size == "cap":
            stake = caps[j]
        elif self.size == "cap+1":
            stake = caps[j] + 1
        elif self.size == "cap-1":
            stake = caps[j] - 1
        elif self.size == "huge":
            stake = 10**15
        else:
            stake = self.amount
        return j, stake, odds[j] + self.quote_shift


bet_plans = st.builds(
    BetPlan,
    selection=st.integers(0, 200),
    size=st.sampled_from(["raw", "raw", "raw", "cap", "cap+1", "cap-1", "huge"]),
    amount=st.integers(1, 50_000) | st.integers(-5, 200_000),
    quote_shift=st.sampled_from([0, 0, 0, -1, 1, -50, 50]),
    policy=st.sampled_from(POLICY_NAMES),
)

bet_sequences = st.lists(bet_plans, max_size=30)

# Bets booked without checks before the sequence starts, some of them large
# enough that the kernels leave their fast integer paths.
seed_bets = st.lists(
    st.tuples(
        st.integers(0, 200),
        st.integers(0, 1 << 36) | st.integers(0, 10_000),
        st.integers(100, 100_000),
    ),
    max_size=4,
)


def seed(book: Book | ReferenceBook, bets: list[tuple[int, int, int]]) -> None:
    """Book the seed bets on either kind of book."""
    n_selections = len(book.odds())
    for selection, stake, odds in bets:
        book.add_accepted(selection % n_selections, stake, odds)
