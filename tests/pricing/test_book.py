"""The Book's public behaviour: policies, refusals, rebuilding and reporting."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from oddsmith.markets import football, roulette
from oddsmith.pricing import (
    MAX_TOTAL_STAKE,
    POLICIES,
    REASONS,
    Book,
    CapacityExceeded,
    InvalidParams,
    PricingParams,
    UnknownPolicy,
    UnknownSelection,
    simulate_bets,
    warm_up,
)

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)


HOME, DRAW, AWAY, HOME_OR_DRAW, DRAW_OR_AWAY, HOME_OR_AWAY = range(6)


@pytest.fixture
def book() -> Book:
    return Book(football((210, 340, 360)), PricingParams.for_football())


def test_policies_decide_on_the_current_odds(book: Book) -> None:
    """exact needs equal odds, better needs current >= quoted, any takes whatever."""
    current = int(book.odds()[HOME])
    assert book.copy().place(HOME, 1000, current, "exact").accepted
    assert book.copy().place(HOME, 1000, current - 1, "exact").reason == "odds_changed"
    assert book.copy().place(HOME, 1000, current - 1).accepted
    assert book.copy().place(HOME, 1000, current + 1).reason == "odds_changed"
    assert book.copy().place(HOME, 1000, 99_999, "any").odds == current


def test_accepted_bet_pays_at_current_odds_and_moves_its_market(book: Book) -> None:
    """The payout uses the current odds; only the bet's market reprices."""
    before = book.odds()
    placed = book.place(HOME, 50_000, 100, "better")
    assert placed.accepted and placed.reason is None
    assert placed.odds == before[HOME]
    assert placed.payout == 50_000 * placed.odds // 100
    after = book.odds()
    assert after[HOME] < before[HOME]
    assert after[DRAW] > before[DRAW] and after[AWAY] > before[AWAY]
    assert (after[3:] == before[3:]).all()
    assert book.liability().tolist() == [placed.payout, 0, 0]
    assert book.total_stake == 50_000


def test_refusals_carry_their_reason_and_fresh_quote(book: Book) -> None:
    """Each refusal says why and gives the odds and cap to offer again."""
    caps, binding = book.max_stakes()
    small = book.place(DRAW, 0, 0)
    assert (small.accepted, small.reason, small.payout) == (False, "stake_too_small", 0)
    over = book.place(DRAW, int(caps[DRAW]) + 1, 0)
    assert over.reason == "over_max_stake"
    assert (over.max_stake, over.binding_outcome) == (caps[DRAW], binding[DRAW])
    assert over.odds == book.odds()[DRAW]
    assert book.total_stake == 0


def test_exposure_binds_and_names_the_outcome() -> None:
    """Once draw money builds up, the draw cap is set by exposure on Draw."""
    # Without alpha the budget stays at B0 and a few full bets exhaust it.
    params = dataclasses.replace(PricingParams.for_football(), alpha_bp=0)
    book = Book(football((210, 340, 360)), params)
    for _ in range(10):
        book.place(DRAW, 100_000, 0, "any")
    caps, binding = book.max_stakes()
    assert binding[DRAW] == DRAW
    # Double chance shares the draw: X2 at its longer odds is bound there too.
    assert binding[DRAW_OR_AWAY] == DRAW
    assert binding[HOME] == binding[AWAY] == -1
    assert caps[DRAW] < 100_000
    refused = book.place(DRAW, int(caps[DRAW]) + 1, 0, "any")
    assert (refused.reason, refused.binding_outcome) == ("over_max_stake", DRAW)


def test_add_accepted_rebuilds_the_same_state(book: Book) -> None:
    """Replaying accepted bets through add_accepted gives the live book's state."""
    accepted = []
    for selection, stake in [(HOME, 20_000), (HOME_OR_AWAY, 35_000), (DRAW, 7_000)]:
        placed = book.place(selection, stake, 0, "any")
        accepted.append((selection, stake, placed.odds))
    rebuilt = Book(book.spec, book.params)
    for bet in accepted:
        rebuilt.add_accepted(*bet)
    assert rebuilt.odds().tolist() == book.odds().tolist()
    assert rebuilt.liability().tolist() == book.liability().tolist()
    assert [c.tolist() for c in rebuilt.max_stakes()] == [
        c.tolist() for c in book.max_stakes()
    ]


def test_house_results_and_budget(book: Book) -> None:
    """house_result is T - P(w), worst_case its minimum, budget B0 + alpha*T."""
    book.add_accepted(HOME, 10_000, 200)
    book.add_accepted(HOME_OR_DRAW, 10_000, 130)
    assert book.liability().tolist() == [33_000, 13_000, 0]
    assert [book.house_result(w) for w in range(3)] == [-13_000, 7_000, 20_000]
    assert book.worst_case() == -13_000
    assert book.budget() == 500_000 + 10_000
    with pytest.raises(UnknownSelection):
        book.house_result(3)


def test_copy_is_independent(book: Book) -> None:
    """Bets on a copy leave the original untouched."""
    twin = book.copy()
    twin.place(AWAY, 10_000, 0)
    assert book.total_stake == 0 and twin.total_stake == 10_000


def test_bad_arguments_raise_pricing_errors(book: Book) -> None:
    """Unknown selections and policies, floats and overflowing rebuilds are errors."""
    with pytest.raises(UnknownSelection):
        book.place(6, 100, 0)
    with pytest.raises(UnknownPolicy):
        book.place(HOME, 100, 0, "best")
    with pytest.raises(TypeError):
        book.place(HOME, 100.0, 0)  # type: ignore[arg-type]
    with pytest.raises(CapacityExceeded):
        book.add_accepted(HOME, MAX_TOTAL_STAKE + 1, 200)
    with pytest.raises(CapacityExceeded):
        book.add_accepted(HOME, 100, 100_001)
    with pytest.raises(CapacityExceeded):
        book.add_accepted(HOME, -1, 200)
    with pytest.raises(UnknownSelection):
        simulate_bets(book, [7], [100], [0])
    with pytest.raises(UnknownPolicy):
        simulate_bets(book, [0], [100], [0], [3])
    with pytest.raises(TypeError):
        simulate_bets(book, [0], [100.0], [0])
    with pytest.raises(ValueError):
        simulate_bets(book, [0, 1], [100, 100, 100], [0])
    with pytest.raises(InvalidParams):
        PricingParams.from_json_obj({"margin_bp": 500})


def test_absurd_stakes_are_refused_not_overflowed(book: Book) -> None:
    """Stakes and quotes far outside int64 are answered like any other refusal."""
    assert book.place(HOME, 10**30, 0).reason == "over_max_stake"
    assert book.place(HOME, 100, 10**30).reason == "odds_changed"
    assert book.place(HOME, -(10**30), 0).reason == "stake_too_small"


def test_batch_reports_reasons_and_accepts_scalar_columns() -> None:
    """simulate_bets broadcasts scalar columns and returns a reason code per bet."""
    spec = roulette()
    book = Book(spec, PricingParams.for_roulette())
    red = spec.selection_index("colour", "red")
    result = simulate_bets(
        book, [red, red, 0, 0], [100, 0, 10**9, 500], 0, POLICIES["any"]
    )
    assert result.accepted.tolist() == [True, False, False, True]
    assert [REASONS[r] for r in result.reason] == [
        None,
        "stake_too_small",
        "over_max_stake",
        None,
    ]
    assert result.odds.tolist() == [200, 200, 3600, 3600]
    assert result.payout.tolist() == [200, 0, 0, 18_000]
    assert book.total_stake == 600
    assert result.odds.dtype == np.int64


def test_params_validate_and_survive_json() -> None:
    """Parameters outside their ranges are refused; valid ones round-trip as JSON."""
    for params in (PricingParams.for_football(), PricingParams.for_roulette()):
        text = json.dumps(dataclasses.asdict(params))
        assert PricingParams(**json.loads(text)) == params
        assert PricingParams.from_json_obj(params.to_json_obj()) == params
    base = PricingParams.for_football()
    for change in (
        {"margin_bp": 10_000},
        {"liquidity": 0},
        {"min_odds": 99},
        {"max_odds": 100},
        {"min_stake": 0},
        {"b0": 1.5},
        {"rule": "lmsr"},
    ):
        with pytest.raises(InvalidParams):
            dataclasses.replace(base, **change)


def test_warm_up_compiles_without_error() -> None:
    """warm_up exercises every kernel a worker needs."""
    warm_up()
