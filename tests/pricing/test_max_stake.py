"""The maximum stake is the largest stake that fits, exactly, with rounding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddsmith.markets import EventSpec
from oddsmith.pricing import Book, PricingParams
from oddsmith.pricing._kernels import stake_cap
from oddsmith.pricing._reference import fits, max_stake
from tests.pricing.strategies import SETTINGS, BetPlan, bet_sequences, params, specs

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)

BP = 10_000


def fits_budget(book: Book, j: int, stake: int, odds: int) -> bool:
    """Return whether booking the stake keeps every outcome of j within budget."""
    pricing = book.params
    total = book.total_stake + stake
    payout = stake * odds // 100
    liability = book.liability()
    return all(
        BP * (int(liability[w]) + payout)
        <= BP * (pricing.b0 + total) + pricing.alpha_bp * total
        for w in book.spec.selections[j].outcomes
    )


@SETTINGS
@given(specs, params(), bet_sequences)
def test_cap_fits_and_one_cent_more_does_not(
    spec: EventSpec, pricing: PricingParams, plans: list[BetPlan]
) -> None:
    """At every reached state, each selection's cap is accepted and cap+1 is refused."""
    book = Book(spec, pricing)
    for plan in [*plans, None]:
        odds = book.odds().tolist()
        caps, binding = book.max_stakes()
        for j in range(book.n_selections):
            cap = int(caps[j])
            assert cap >= 0
            if cap >= pricing.min_stake:
                assert book.copy().place(j, cap, odds[j], "exact").accepted
                assert fits_budget(book, j, cap, odds[j])
            refused = book.copy().place(j, cap + 1, odds[j], "exact")
            assert not refused.accepted
            if cap + 1 >= pricing.min_stake:
                assert refused.reason == "over_max_stake"
            if binding[j] >= 0:
                # The exposure binds: one cent more breaks the budget itself.
                assert not fits_budget(book, j, cap + 1, odds[j])
                assert binding[j] in spec.selections[j].outcomes
            else:
                assert cap == min(pricing.per_bet_limit, (1 << 39) - book.total_stake)
        if plan is not None:
            j, stake, quoted = plan.resolve(odds, caps.tolist())
            book.place(j, stake, quoted, plan.policy)


headrooms = st.integers(-(10**6), 10**6) | st.integers(0, 10**16)
odds_values = st.integers(100, 100_000) | st.integers(100, 300)
alphas = st.integers(0, 100_000) | st.integers(0, 20_000)
limits = st.integers(0, 1 << 39) | st.integers(0, 10**6)


@SETTINGS
@given(headrooms, odds_values, alphas, limits)
def test_compiled_cap_search_equals_reference_walk(
    headroom: int, odds: int, alpha: int, limit: int
) -> None:
    """The kernel's cap search equals the reference for any headroom and odds."""
    assert stake_cap(headroom, odds, alpha, limit) == max_stake(
        headroom, odds, alpha, limit
    )


@SETTINGS
@given(
    st.integers(0, 10**7),
    st.integers(101, 400),
    st.integers(1, 99),
    st.integers(0, 10**5),
)
def test_compiled_cap_search_near_the_break_even_odds(
    headroom: int, odds: int, excess: int, limit: int
) -> None:
    """With odds a hair above 1 + alpha, where rounding matters most, both agree."""
    # Pick alpha so that 100 * odds - BP - alpha is a small positive excess.
    alpha = 100 * odds - BP - excess
    if alpha < 0:
        return
    cap, exposure_binds = stake_cap(headroom, odds, alpha, limit)
    assert (cap, exposure_binds) == max_stake(headroom, odds, alpha, limit)
    assert all(
        fits(s, odds, headroom, alpha) for s in range(max(0, cap - 300), cap + 1)
    )
    if exposure_binds:
        assert not fits(cap + 1, odds, headroom, alpha)


def test_cap_counts_the_cent_that_rounding_gives_back() -> None:
    """At odds 1.50 and no alpha, a stake past the unrounded cap still fits."""
    # Unrounded, headroom 10000 allows 2 cents (2 * 5000); with payouts rounded
    # down, 3 cents pay 4 and cost exactly the headroom, 4 cents pay 6.
    assert max_stake(10_000, 150, 0, 100) == (3, True)
    assert stake_cap(10_000, 150, 0, 100) == (3, True)


def test_cap_stops_below_a_gap_in_the_fitting_stakes() -> None:
    """When rounding lets 6 fit but not 5, the cap is 4: every stake up to it fits."""
    # At odds 1.60 and alpha 50%, a stake s costs 10000*floor(1.6s) - 15000s:
    # 0, -5000, 0, -5000, 0, 5000, 0, ... so with no headroom 5 is the first
    # stake that fails, although 6 and 8 would fit again.
    assert [fits(s, 160, 0, 5000) for s in range(10)] == [
        True,
        True,
        True,
        True,
        True,
        False,
        True,
        False,
        True,
        False,
    ]
    assert stake_cap(0, 160, 5000, 100) == (4, True)
    assert max_stake(0, 160, 5000, 100) == (4, True)


def test_short_odds_leave_only_the_limit() -> None:
    """At odds at or below 1 + alpha the outcome does not bind, even past budget."""
    assert stake_cap(-(10**9), 150, 5000, 777) == (777, False)
    # One tick longer, a book already past its budget takes nothing.
    assert stake_cap(-1, 151, 5000, 777) == (0, True)
