"""Load a football season with its odds and derive each match's true probabilities.

The season file uses football-data.co.uk's CSV layout. Opening odds seed the book's
prior; closing odds, with the bookmaker's margin removed, stand in for the true
probability of home win, draw and away win that informed bettors know.
"""

import csv
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sim.errors import DataError

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SEASON = DATA_DIR / "E0_2024-25.csv"

# The order of the 1x2 outcomes everywhere in the simulator.
RESULT_CODES = ("H", "D", "A")

_OPENING_COLUMNS = (("PSH", "PSD", "PSA"), ("B365H", "B365D", "B365A"))
_CLOSING_COLUMNS = (("PSCH", "PSCD", "PSCA"), ("AvgCH", "AvgCD", "AvgCA"))


@dataclass(frozen=True)
class Match:
    """One played match with its opening odds, true probabilities and result."""

    day: date
    home: str
    away: str
    opening_odds: tuple[int, int, int]
    true_prob: tuple[float, float, float]
    result: int


def parse_decimal_odds(text: str) -> int:
    """Turn a decimal odds string such as ``"1.6"`` into hundredths, exactly."""
    try:
        hundredths = Decimal(text.strip()) * 100
    except InvalidOperation as exc:
        raise DataError(f"odds must be a decimal number, got {text!r}") from exc
    if hundredths != hundredths.to_integral_value() or hundredths <= 100:
        raise DataError(f"odds must be above 1.00 with at most two places: {text!r}")
    return int(hundredths)


def remove_margin(odds: tuple[int, ...], method: str = "power") -> tuple[float, ...]:
    """Turn a bookmaker's odds into probabilities that sum to one.

    ``proportional`` scales the implied probabilities down evenly. ``power`` raises
    them to the exponent k that makes them sum to one, which takes more margin off
    longshots than off favourites, as bookmakers tend to load it.
    """
    implied = [100.0 / o for o in odds]
    if method == "proportional":
        total = sum(implied)
        return tuple(p / total for p in implied)
    if method != "power":
        raise DataError(f"unknown margin removal method {method!r}")

    # The sum of p**k falls as k grows (every p < 1), so bisection finds the root.
    low, high = 1.0, 10.0
    if sum(implied) < 1.0:
        low, high = 0.1, 1.0
    for _ in range(100):
        k = (low + high) / 2.0
        if sum(p**k for p in implied) > 1.0:
            low = k
        else:
            high = k
    raw = [p**k for p in implied]
    total = sum(raw)
    return tuple(p / total for p in raw)


def _odds_triple(row: dict[str, str], choices: tuple[tuple[str, ...], ...]) -> tuple:
    for columns in choices:
        cells = [row.get(c, "").strip() for c in columns]
        if all(cells):
            return tuple(parse_decimal_odds(c) for c in cells)
    raise DataError(f"no odds in any of {choices} for {row.get('HomeTeam')!r}")


def load_season(path: Path = DEFAULT_SEASON, devig: str = "power") -> list[Match]:
    """Read a season file into matches sorted by day, in file order within a day."""
    matches = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            try:
                day = datetime.strptime(row["Date"].strip(), "%d/%m/%Y").date()
                result = RESULT_CODES.index(row["FTR"].strip())
            except (KeyError, ValueError) as exc:
                raise DataError(f"bad date or result in row {row!r:.120}") from exc
            closing = _odds_triple(row, _CLOSING_COLUMNS)
            matches.append(
                Match(
                    day=day,
                    home=row["HomeTeam"].strip(),
                    away=row["AwayTeam"].strip(),
                    opening_odds=_odds_triple(row, _OPENING_COLUMNS),
                    true_prob=remove_margin(closing, devig),  # type: ignore[arg-type]
                    result=result,
                )
            )
    if not matches:
        raise DataError(f"{path} holds no matches")
    matches.sort(key=lambda m: m.day)
    return matches
