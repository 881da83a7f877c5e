"""The worked example in docs/pricing.md, number for number."""

from __future__ import annotations

import pytest

from oddsmith.markets import football, roulette
from oddsmith.pricing import Book, PricingParams
from oddsmith.pricing._layout import build_layout

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)


def test_football_example_matches_the_docs() -> None:
    """Priors, odds moves, payouts and house results of the football example."""
    spec = football((210, 340, 360))
    book = Book(spec, PricingParams.for_football())
    layout = build_layout(spec, book.params)
    assert layout.weight.tolist() == [454343, 280624, 265033, 734967, 545657, 719376]
    assert layout.market_mass.tolist() == [1_000_000, 2_000_000]
    assert book.odds().tolist() == [209, 338, 358, 129, 174, 132]

    draw = book.place(1, 50_000, 338, "better")
    assert (draw.accepted, draw.odds, draw.payout) == (True, 338, 169_000)
    assert book.odds().tolist() == [230, 274, 394, 129, 174, 132]

    x2 = book.place(4, 20_000, 174, "exact")
    assert (x2.accepted, x2.odds, x2.payout) == (True, 174, 34_800)
    assert book.odds().tolist() == [230, 274, 394, 134, 157, 137]

    assert book.liability().tolist() == [0, 203_800, 34_800]
    assert book.total_stake == 70_000
    assert [book.house_result(w) for w in range(3)] == [70_000, -133_800, 35_200]
    assert book.worst_case() == -133_800
    assert book.budget() == 535_000
    caps, binding = book.max_stakes()
    assert caps.tolist() == [100_000] * 6 and binding.tolist() == [-1] * 6


def test_roulette_example_matches_the_docs() -> None:
    """Caps on 17 and 18 before and after 500.00 on red, as the docs work them out."""
    spec = roulette()
    book = Book(spec, PricingParams.for_roulette())
    red = spec.selection_index("colour", "red")
    caps, binding = book.max_stakes()
    assert (caps[17], binding[17]) == (5797, 17)
    assert caps[red] == 50_000 and binding[red] == -1

    placed = book.place(red, 50_000, 200)
    assert (placed.accepted, placed.odds, placed.payout) == (True, 200, 100_000)
    assert book.odds()[red] == 199

    caps, binding = book.max_stakes()
    assert (caps[17], binding[17]) == (7971, 17)
    assert (caps[18], binding[18]) == (5072, 18)
    refused = book.place(17, 7972, 3600)
    assert (refused.reason, refused.binding_outcome) == ("over_max_stake", 17)
    taken = book.place(17, 7971, 3600)
    assert (taken.accepted, taken.payout) == (True, 286_956)
    assert book.odds()[17] == 3499


def test_roulette_shading_quoted_in_the_docs() -> None:
    """A first 10.00 on a lone number takes 0.13 off it; red holds 2.00 when even."""
    spec = roulette()
    book = Book(spec, PricingParams.for_roulette())
    book.add_accepted(17, 1_000, 3600)
    assert book.odds()[17] == 3587
    red = spec.selection_index("colour", "red")
    book.add_accepted(red, 80_000, 200)
    book.add_accepted(red + 1, 80_000, 200)
    assert book.odds()[red : red + 2].tolist() == [200, 200]
