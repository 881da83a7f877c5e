"""Describe what can be bet on: an event's outcomes, markets and selections.

An event has a finite set of elementary outcomes (a match ends home, draw or
away; a roulette ball lands in one of 37 pockets). A market is a list of
selections, and a selection wins when the outcome is one of the outcomes it
holds. Selections of different markets may hold the same outcomes (red and
17 both win on 17), which is why risk is tracked per outcome, not per market.

The specs are plain immutable data, stored as JSON in the event's row, and
carry the prior probabilities the pricing engine starts from.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any

__all__ = [
    "EventSpec",
    "MarketSpec",
    "SelectionSpec",
    "SpecError",
    "football",
    "roulette",
]

# Largest sum of one market's priors. Double chance sums to 2; more would take
# many overlapping selections, which no product offers, and the bound keeps the
# pricing engine's integer products inside int64.
MAX_MARKET_MASS = 4.0
# Below one millionth, the engine's resolution, real money would count for
# nothing in the market's odds.
MIN_MARKET_MASS = 1e-6

ROULETTE_POCKETS = 37
# The red pockets of the single-zero European wheel.
ROULETTE_RED = frozenset(
    (1, 3, 5, 7, 9, 12, 14, 16, 18, 19, 21, 23, 25, 27, 30, 32, 34, 36)
)


class SpecError(ValueError):
    """Raised when an event, market or selection description is inconsistent."""


@dataclass(frozen=True)
class SelectionSpec:
    """One thing a bettor can back: it wins when the outcome is in ``outcomes``."""

    code: str
    name: str
    outcomes: tuple[int, ...]


@dataclass(frozen=True)
class MarketSpec:
    """A list of selections priced together, with one prior per selection.

    ``prior`` holds the probability the engine assumes for each selection before
    any money arrives; ``true_prob`` holds the exact probabilities when they are
    known (roulette), and then no price ever gives a bettor positive expectation.
    """

    code: str
    name: str
    selections: tuple[SelectionSpec, ...]
    prior: tuple[float, ...]
    true_prob: tuple[float, ...] | None = None


@dataclass(frozen=True)
class EventSpec:
    """The outcomes of an event and the markets offered on them.

    Selections are numbered across markets in order: the first market's
    selections come first. That number is what the pricing engine, the
    database and the clients call a selection index.
    """

    outcomes: tuple[str, ...]
    markets: tuple[MarketSpec, ...]

    def __post_init__(self) -> None:
        _validate(self)

    @cached_property
    def selections(self) -> tuple[SelectionSpec, ...]:
        """Return every selection of every market in selection-index order."""
        return tuple(sel for market in self.markets for sel in market.selections)

    @cached_property
    def selection_markets(self) -> tuple[int, ...]:
        """Return the market index of each selection, in selection-index order."""
        return tuple(
            index
            for index, market in enumerate(self.markets)
            for _ in market.selections
        )

    def selection_index(self, market_code: str, selection_code: str) -> int:
        """Return the index of a selection named by its market and its own code."""
        position = 0
        for market in self.markets:
            if market.code == market_code:
                for offset, selection in enumerate(market.selections):
                    if selection.code == selection_code:
                        return position + offset
                break
            position += len(market.selections)
        raise KeyError(f"no selection {market_code}/{selection_code}")

    def to_json_obj(self) -> dict[str, Any]:
        """Return the spec as plain dicts and lists, ready for ``json.dumps``."""
        return {
            "outcomes": list(self.outcomes),
            "markets": [
                {
                    "code": market.code,
                    "name": market.name,
                    "selections": [
                        {
                            "code": sel.code,
                            "name": sel.name,
                            "outcomes": list(sel.outcomes),
                        }
                        for sel in market.selections
                    ],
                    "prior": list(market.prior),
                    "true_prob": None
                    if market.true_prob is None
                    else list(market.true_prob),
                }
                for market in self.markets
            ],
        }

    @classmethod
    def from_json_obj(cls, obj: Mapping[str, Any]) -> EventSpec:
        """Rebuild a spec from what :meth:`to_json_obj` produced."""
        try:
            markets = tuple(
                MarketSpec(
                    code=str(market["code"]),
                    name=str(market["name"]),
                    selections=tuple(
                        SelectionSpec(
                            code=str(sel["code"]),
                            name=str(sel["name"]),
                            outcomes=tuple(int(w) for w in sel["outcomes"]),
                        )
                        for sel in market["selections"]
                    ),
                    prior=tuple(float(q) for q in market["prior"]),
                    true_prob=None
                    if market.get("true_prob") is None
                    else tuple(float(q) for q in market["true_prob"]),
                )
                for market in obj["markets"]
            )
            outcomes = tuple(str(name) for name in obj["outcomes"])
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"malformed event spec: {exc!r}") from exc
        return cls(outcomes=outcomes, markets=markets)


def _validate(spec: EventSpec) -> None:
    """Raise :class:`SpecError` unless ``spec`` can be priced."""
    n_outcomes = len(spec.outcomes)
    if n_outcomes == 0:
        raise SpecError("an event needs at least one outcome")
    if len(set(spec.outcomes)) != n_outcomes:
        raise SpecError("outcome names must be distinct")
    if not spec.markets:
        raise SpecError("an event needs at least one market")
    if len({market.code for market in spec.markets}) != len(spec.markets):
        raise SpecError("market codes must be distinct")
    for market in spec.markets:
        where = f"market {market.code!r}"
        if not market.selections:
            raise SpecError(f"{where} has no selections")
        codes = {sel.code for sel in market.selections}
        if len(codes) != len(market.selections):
            raise SpecError(f"{where}: selection codes must be distinct")
        for sel in market.selections:
            if not sel.outcomes:
                raise SpecError(f"{where}: selection {sel.code!r} holds no outcome")
            if list(sel.outcomes) != sorted(set(sel.outcomes)):
                raise SpecError(
                    f"{where}: outcomes of {sel.code!r} must be distinct and sorted"
                )
            if sel.outcomes[0] < 0 or sel.outcomes[-1] >= n_outcomes:
                raise SpecError(f"{where}: {sel.code!r} names an unknown outcome")
        _validate_probabilities(where, "prior", market.prior, len(market.selections))
        mass = math.fsum(market.prior)
        if mass > MAX_MARKET_MASS:
            raise SpecError(f"{where}: priors sum above {MAX_MARKET_MASS}")
        if mass < MIN_MARKET_MASS:
            raise SpecError(f"{where}: priors sum to (almost) nothing")
        if market.true_prob is not None:
            _validate_probabilities(
                where, "true_prob", market.true_prob, len(market.selections)
            )


def _validate_probabilities(
    where: str, field: str, values: Sequence[float], expected: int
) -> None:
    if len(values) != expected:
        raise SpecError(f"{where}: {field} needs one value per selection")
    for value in values:
        if not 0.0 <= value <= 1.0:
            raise SpecError(f"{where}: {field} value {value!r} is not a probability")


def football(opening_odds: tuple[int, int, int] | None = None) -> EventSpec:
    """Return a match with the result and double chance markets.

    ``opening_odds`` are the administrator's home, draw and away odds in
    hundredths; their inverses are normalised to sum to one, which removes the
    margin they contain. Without them every result starts equally likely.
    """
    if opening_odds is None:
        home, draw, away = Fraction(1, 3), Fraction(1, 3), Fraction(1, 3)
    else:
        if len(opening_odds) != 3 or any(odds <= 100 for odds in opening_odds):
            raise SpecError("opening odds are three values above 1.00")
        inverse = [Fraction(100, odds) for odds in opening_odds]
        total = sum(inverse)
        home, draw, away = (value / total for value in inverse)

    result = MarketSpec(
        code="1x2",
        name="Match result",
        selections=(
            SelectionSpec("home", "Home", (0,)),
            SelectionSpec("draw", "Draw", (1,)),
            SelectionSpec("away", "Away", (2,)),
        ),
        prior=(float(home), float(draw), float(away)),
    )
    double_chance = MarketSpec(
        code="double_chance",
        name="Double chance",
        selections=(
            SelectionSpec("1x", "Home or draw", (0, 1)),
            SelectionSpec("x2", "Draw or away", (1, 2)),
            SelectionSpec("12", "Home or away", (0, 2)),
        ),
        prior=(float(home + draw), float(draw + away), float(home + away)),
    )
    return EventSpec(outcomes=("home", "draw", "away"), markets=(result, double_chance))


def roulette() -> EventSpec:
    """Return one spin of a European wheel with the usual inside and outside bets."""
    pockets = range(1, ROULETTE_POCKETS)
    straight = tuple(
        SelectionSpec(str(pocket), str(pocket), (pocket,))
        for pocket in range(ROULETTE_POCKETS)
    )
    markets = (
        _roulette_market("straight", "Straight up", straight),
        _roulette_market(
            "colour",
            "Red or black",
            (
                _pockets("red", "Red", (n for n in pockets if n in ROULETTE_RED)),
                _pockets(
                    "black", "Black", (n for n in pockets if n not in ROULETTE_RED)
                ),
            ),
        ),
        _roulette_market(
            "parity",
            "Odd or even",
            (
                _pockets("odd", "Odd", (n for n in pockets if n % 2 == 1)),
                _pockets("even", "Even", (n for n in pockets if n % 2 == 0)),
            ),
        ),
        _roulette_market(
            "half",
            "Low or high",
            (
                _pockets("low", "1-18", range(1, 19)),
                _pockets("high", "19-36", range(19, 37)),
            ),
        ),
        _roulette_market(
            "dozen",
            "Dozens",
            tuple(
                _pockets(
                    f"d{k + 1}",
                    f"{12 * k + 1}-{12 * k + 12}",
                    range(12 * k + 1, 12 * k + 13),
                )
                for k in range(3)
            ),
        ),
        _roulette_market(
            "column",
            "Columns",
            tuple(
                _pockets(f"c{k + 1}", f"Column {k + 1}", range(k + 1, 37, 3))
                for k in range(3)
            ),
        ),
    )
    return EventSpec(
        outcomes=tuple(str(pocket) for pocket in range(ROULETTE_POCKETS)),
        markets=markets,
    )


def _pockets(code: str, name: str, pockets: Iterable[int]) -> SelectionSpec:
    return SelectionSpec(code, name, tuple(sorted(pockets)))


def _roulette_market(
    code: str, name: str, selections: tuple[SelectionSpec, ...]
) -> MarketSpec:
    # The wheel is fair, so the prior and the true probability are the same.
    exact = tuple(len(sel.outcomes) / ROULETTE_POCKETS for sel in selections)
    return MarketSpec(code, name, selections, prior=exact, true_prob=exact)
