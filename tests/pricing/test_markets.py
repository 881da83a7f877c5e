"""Event specs: the football and roulette layouts, validation and JSON storage."""

from __future__ import annotations

import json

import pytest
from hypothesis import given

from oddsmith.markets import (
    EventSpec,
    MarketSpec,
    SelectionSpec,
    SpecError,
    football,
    roulette,
)
from tests.pricing.strategies import SETTINGS, custom_specs

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)

RED = {1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36}


def test_football_offers_result_and_double_chance_on_three_outcomes() -> None:
    """Codes, names and covered outcomes of both football markets are as specified."""
    spec = football()
    assert spec.outcomes == ("home", "draw", "away")
    assert [m.code for m in spec.markets] == ["1x2", "double_chance"]
    assert [(s.code, s.name, s.outcomes) for s in spec.markets[0].selections] == [
        ("home", "Home", (0,)),
        ("draw", "Draw", (1,)),
        ("away", "Away", (2,)),
    ]
    assert [(s.code, s.outcomes) for s in spec.markets[1].selections] == [
        ("1x", (0, 1)),
        ("x2", (1, 2)),
        ("12", (0, 2)),
    ]
    assert spec.markets[0].prior == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert spec.markets[1].prior == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert spec.markets[0].true_prob is None


def test_opening_odds_lose_their_margin() -> None:
    """Priors are the normalised inverses of the opening odds."""
    spec = football((200, 400, 400))
    assert spec.markets[0].prior == pytest.approx((0.5, 0.25, 0.25))
    assert spec.markets[1].prior == pytest.approx((0.75, 0.5, 0.75))
    with pytest.raises(SpecError):
        football((100, 300, 300))


def test_roulette_covers_the_european_wheel() -> None:
    """Every roulette selection holds the right pockets, and zero only wins straight."""
    spec = roulette()
    assert spec.outcomes == tuple(str(n) for n in range(37))
    assert [m.code for m in spec.markets] == [
        "straight",
        "colour",
        "parity",
        "half",
        "dozen",
        "column",
    ]
    assert len(spec.selections) == 37 + 2 + 2 + 2 + 3 + 3

    def pockets(market: str, code: str) -> set[int]:
        return set(spec.selections[spec.selection_index(market, code)].outcomes)

    assert pockets("colour", "red") == RED
    assert pockets("colour", "black") == set(range(1, 37)) - RED
    assert pockets("parity", "odd") == set(range(1, 37, 2))
    assert pockets("half", "high") == set(range(19, 37))
    assert pockets("dozen", "d2") == set(range(13, 25))
    assert pockets("column", "c1") == {1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34}
    assert pockets("straight", "0") == {0}
    for market in spec.markets[1:]:
        assert all(0 not in sel.outcomes for sel in market.selections)
        assert market.true_prob == tuple(
            len(sel.outcomes) / 37 for sel in market.selections
        )


def test_selection_index_follows_market_order() -> None:
    """Selections are numbered across markets in the order they are listed."""
    spec = football()
    assert spec.selection_index("1x2", "away") == 2
    assert spec.selection_index("double_chance", "12") == 5
    assert spec.selection_markets == (0, 0, 0, 1, 1, 1)
    with pytest.raises(KeyError):
        spec.selection_index("1x2", "1x")


@SETTINGS
@given(custom_specs())
def test_json_round_trip_restores_any_spec(spec: EventSpec) -> None:
    """A spec stored as JSON text comes back equal to itself."""
    text = json.dumps(spec.to_json_obj())
    assert EventSpec.from_json_obj(json.loads(text)) == spec


def test_json_round_trip_restores_the_shipped_games() -> None:
    """Football with opening odds and roulette survive the database text column."""
    for spec in (football((185, 360, 450)), roulette()):
        assert (
            EventSpec.from_json_obj(json.loads(json.dumps(spec.to_json_obj()))) == spec
        )


@pytest.mark.parametrize(
    "outcomes, prior",
    [
        ((3,), (0.5,)),  # names an outcome the event lacks
        ((), (0.5,)),  # holds no outcome
        ((1, 0), (0.5,)),  # outcomes out of order
        ((0,), (1.5,)),  # prior above one
        ((0,), (0.5, 0.5)),  # one prior too many
    ],
)
def test_inconsistent_specs_are_refused(
    outcomes: tuple[int, ...], prior: tuple[float, ...]
) -> None:
    """A selection or prior that cannot be priced raises SpecError."""
    market = MarketSpec("m", "M", (SelectionSpec("s", "S", outcomes),), prior, None)
    with pytest.raises(SpecError):
        EventSpec(outcomes=("a", "b"), markets=(market,))


def test_malformed_json_is_refused() -> None:
    """A stored spec missing a field raises SpecError, not KeyError."""
    obj = football().to_json_obj()
    del obj["markets"][0]["prior"]
    with pytest.raises(SpecError):
        EventSpec.from_json_obj(obj)


def _market(code: str = "m", *codes: str, prior: float = 0.5) -> MarketSpec:
    selections = tuple(SelectionSpec(c, c, (0,)) for c in codes or ("s",))
    return MarketSpec(code, code, selections, (prior,) * len(selections), None)


@pytest.mark.parametrize(
    "outcomes, markets",
    [
        ((), (_market(),)),  # no outcome at all
        (("a", "a"), (_market(),)),  # two outcomes with one name
        (("a",), ()),  # nothing to bet on
        (("a",), (_market("m"), _market("m"))),  # two markets with one code
        (("a",), (MarketSpec("m", "M", (), (), None),)),  # an empty market
        (("a",), (_market("m", "s", "s"),)),  # two selections with one code
        (("a",), (_market("m", "s", "t", "u", "v", "w", prior=0.9),)),  # mass 4.5
        (("a",), (_market("m", "s", "t", prior=0.0),)),  # no prior mass at all
        (
            ("a",),
            (MarketSpec("m", "M", (SelectionSpec("s", "S", (0,)),), (0.5,), (-0.1,)),),
        ),  # a negative true probability
    ],
)
def test_inconsistent_events_are_refused(
    outcomes: tuple[str, ...], markets: tuple[MarketSpec, ...]
) -> None:
    """An event the engine could not price raises SpecError when it is built."""
    with pytest.raises(SpecError):
        EventSpec(outcomes=outcomes, markets=markets)
