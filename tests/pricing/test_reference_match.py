"""The compiled kernels against the plain-Python reference, integer for integer."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given

from oddsmith.markets import EventSpec
from oddsmith.pricing import Book, PricingParams
from oddsmith.pricing._reference import ReferenceBook
from tests.pricing.strategies import (
    SETTINGS,
    BetPlan,
    bet_sequences,
    params,
    seed,
    seed_bets,
    specs,
)

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)


def assert_same_state(book: Book, reference: ReferenceBook) -> None:
    caps, binding = book.max_stakes()
    ref_caps, ref_binding = reference.max_stakes()
    assert book.odds().tolist() == reference.odds()
    assert caps.tolist() == ref_caps
    assert binding.tolist() == ref_binding
    assert book.liability().tolist() == reference.liability
    assert book.selection_stakes().tolist() == reference.selection_stake
    assert book.market_stakes().tolist() == reference.market_stake
    assert book.total_stake == reference.total


@SETTINGS
@given(specs, params(), seed_bets, bet_sequences)
def test_kernels_match_reference_after_every_bet(
    spec: EventSpec,
    pricing: PricingParams,
    seeds: list[tuple[int, int, int]],
    plans: list[BetPlan],
) -> None:
    """Odds, caps, binding outcomes, placements and state agree exactly throughout."""
    book = Book(spec, pricing)
    reference = ReferenceBook(spec, pricing)
    seed(book, seeds)
    seed(reference, seeds)
    assert_same_state(book, reference)

    for plan in plans:
        caps, _ = reference.max_stakes()
        j, stake, quoted = plan.resolve(reference.odds(), caps)
        placed = book.place(j, stake, quoted, plan.policy)
        expected = reference.place(j, stake, quoted, plan.policy)
        assert (
            placed.accepted,
            placed.reason,
            placed.odds,
            placed.payout,
            placed.max_stake,
            placed.binding_outcome,
        ) == (
            expected.accepted,
            expected.reason,
            expected.odds,
            expected.payout,
            expected.max_stake,
            expected.binding_outcome,
        )
        assert_same_state(book, reference)


@SETTINGS
@given(specs, params(), seed_bets, bet_sequences)
def test_batch_matches_one_by_one_placement(
    spec: EventSpec,
    pricing: PricingParams,
    seeds: list[tuple[int, int, int]],
    plans: list[BetPlan],
) -> None:
    """simulate_bets gives the same answers and end state as calling place per bet."""
    from oddsmith.pricing import POLICIES, simulate_bets

    single = Book(spec, pricing)
    seed(single, seeds)
    batch = single.copy()
    # Quotes are fixed up front, as a simulator fixes them before the batch.
    odds = single.odds().tolist()
    caps = single.max_stakes()[0].tolist()
    bets = [plan.resolve(odds, caps) for plan in plans]
    policies = [POLICIES[plan.policy] for plan in plans]

    expected = [
        single.place(j, stake, quoted, plan.policy)
        for (j, stake, quoted), plan in zip(bets, plans, strict=True)
    ]
    result = simulate_bets(
        batch,
        np.array([j for j, _, _ in bets], dtype=np.int64),
        np.array([stake for _, stake, _ in bets], dtype=np.int64),
        np.array([quoted for _, _, quoted in bets], dtype=np.int64),
        np.array(policies, dtype=np.int64),
    )

    assert result.accepted.tolist() == [p.accepted for p in expected]
    assert result.odds.tolist() == [p.odds for p in expected]
    assert result.payout.tolist() == [p.payout for p in expected]
    assert batch.liability().tolist() == single.liability().tolist()
    assert batch.selection_stakes().tolist() == single.selection_stakes().tolist()
    assert batch.odds().tolist() == single.odds().tolist()
    assert batch.total_stake == single.total_stake
