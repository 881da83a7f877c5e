"""Roulette: known probabilities keep every price at or below fair less margin."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddsmith.markets import roulette
from oddsmith.pricing import Book, PricingParams
from tests.pricing.strategies import SETTINGS, BetPlan, bet_sequences, params

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)

SPEC = roulette()


def fair_less_margin(pockets: int, margin_bp: int) -> int:
    """Return floor(100 * (1 - margin) * 37 / pockets) with exact fractions."""
    odds = Fraction(100) * Fraction(10_000 - margin_bp, 10_000) * Fraction(37, pockets)
    return odds.numerator // odds.denominator


@SETTINGS
@given(
    params(),
    st.lists(st.tuples(st.integers(0, 48), st.integers(0, 10**9)), max_size=6),
    bet_sequences,
)
def test_roulette_odds_never_beat_fair_less_margin(
    pricing: PricingParams, seeds: list[tuple[int, int]], plans: list[BetPlan]
) -> None:
    """In any state, even lopsided ones, no selection pays above its fair cap."""
    book = Book(SPEC, pricing)
    for index, stake in seeds:
        book.add_accepted(index, stake, 100)
    for plan in [*plans, None]:
        odds = book.odds().tolist()
        for j, spec in enumerate(SPEC.selections):
            assert odds[j] <= fair_less_margin(len(spec.outcomes), pricing.margin_bp)
        if plan is not None:
            caps, _ = book.max_stakes()
            j, stake, quoted = plan.resolve(odds, caps.tolist())
            placed = book.place(j, stake, quoted, plan.policy)
            if placed.accepted:
                pockets = len(SPEC.selections[j].outcomes)
                # The bettor's expectation is never positive.
                assert Fraction(pockets, 37) * placed.payout <= stake


def test_empty_roulette_book_pays_casino_odds() -> None:
    """With the default parameters an empty book quotes the classic payouts."""
    odds = Book(SPEC, PricingParams.for_roulette()).odds()
    by_market = {
        market.code: [
            int(odds[SPEC.selection_index(market.code, sel.code)])
            for sel in market.selections
        ]
        for market in SPEC.markets
    }
    assert by_market["straight"] == [3600] * 37
    for code in ("colour", "parity", "half"):
        assert by_market[code] == [200, 200]
    assert by_market["dozen"] == by_market["column"] == [300, 300, 300]


def test_money_on_red_shortens_red_only() -> None:
    """Heavy money on red shades red below 2.00 while black and numbers stay put."""
    book = Book(SPEC, PricingParams.for_roulette())
    red = SPEC.selection_index("colour", "red")
    black = SPEC.selection_index("colour", "black")
    book.add_accepted(red, 100_000, 200)
    odds = book.odds()
    assert odds[red] < 200
    assert odds[black] == 200
    assert odds[SPEC.selection_index("straight", "17")] == 3600
