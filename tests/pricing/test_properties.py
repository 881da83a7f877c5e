"""Properties every book keeps, whatever bets arrive and in whatever order."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oddsmith.markets import EventSpec
from oddsmith.pricing import Book, PricingParams
from tests.pricing.strategies import (
    SETTINGS,
    BetPlan,
    bet_plans,
    bet_sequences,
    params,
    specs,
)

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)

BP = 10_000


def snapshot(book: Book) -> tuple[list[int], ...]:
    caps, binding = book.max_stakes()
    return (
        book.odds().tolist(),
        caps.tolist(),
        binding.tolist(),
        book.liability().tolist(),
        book.selection_stakes().tolist(),
        book.market_stakes().tolist(),
        [book.total_stake],
    )


def budget_holds(book: Book, pricing: PricingParams) -> bool:
    worst = int(book.liability().max())
    total = book.total_stake
    return BP * (worst - total) <= BP * pricing.b0 + pricing.alpha_bp * total


@SETTINGS
@given(specs, params(), bet_sequences)
def test_book_keeps_its_promises_after_every_bet(
    spec: EventSpec, pricing: PricingParams, plans: list[BetPlan]
) -> None:
    """The budget holds, refusals change nothing, and odds never rise with backing."""
    book = Book(spec, pricing)
    for plan in plans:
        before = snapshot(book)
        j, stake, quoted = plan.resolve(before[0], before[1])
        placed = book.place(j, stake, quoted, plan.policy)
        after = snapshot(book)

        assert budget_holds(book, pricing)
        if placed.accepted:
            assert after[0][j] <= before[0][j]
            assert placed.odds == before[0][j]
            assert placed.payout == stake * placed.odds // 100
        else:
            assert after == before
            assert placed.payout == 0


@SETTINGS
@given(specs, params(), bet_sequences)
def test_liability_is_the_sum_of_rounded_down_payouts(
    spec: EventSpec, pricing: PricingParams, plans: list[BetPlan]
) -> None:
    """Each liability is the sum of stake*odds//100 over the bets that outcome pays."""
    book = Book(spec, pricing)
    accepted: list[tuple[int, int, int]] = []
    for plan in plans:
        caps, _ = book.max_stakes()
        j, stake, quoted = plan.resolve(book.odds().tolist(), caps.tolist())
        placed = book.place(j, stake, quoted, plan.policy)
        if placed.accepted:
            accepted.append((j, stake, placed.odds))
            # Rounding may keep part of a cent for the house, never add one.
            assert 100 * placed.payout <= stake * placed.odds

    members = [sel.outcomes for sel in spec.selections]
    for w in range(len(spec.outcomes)):
        owed = sum(s * o // 100 for j, s, o in accepted if w in members[j])
        assert int(book.liability()[w]) == owed
        assert book.house_result(w) == sum(s for _, s, _ in accepted) - owed
    assert book.total_stake == sum(s for _, s, _ in accepted)
    assert book.worst_case() == min(
        book.house_result(w) for w in range(len(spec.outcomes))
    )


@SETTINGS
@given(
    specs,
    params(),
    st.lists(bet_plans, min_size=50, max_size=300),
)
def test_budget_holds_through_long_lopsided_sequences(
    spec: EventSpec, pricing: PricingParams, plans: list[BetPlan]
) -> None:
    """Hundreds of bets, many at exactly the cap, never push any outcome past budget."""
    book = Book(spec, pricing)
    for plan in plans:
        caps, _ = book.max_stakes()
        j, stake, quoted = plan.resolve(book.odds().tolist(), caps.tolist())
        book.place(j, stake, quoted, plan.policy)
        assert budget_holds(book, pricing)
