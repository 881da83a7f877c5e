"""The season file becomes matches with opening odds and true probabilities."""

import itertools

import pytest

from sim.errors import DataError
from sim.football import load_season, parse_decimal_odds, remove_margin


def test_decimal_odds_parse_exactly_into_hundredths() -> None:
    """'1.6' is 160 and '13' is 1300, with no float rounding on the way."""
    assert parse_decimal_odds("1.6") == 160
    assert parse_decimal_odds("13") == 1300
    assert parse_decimal_odds("2.07") == 207
    with pytest.raises(DataError):
        parse_decimal_odds("1.005")


@pytest.mark.parametrize("method", ["proportional", "power"])
def test_margin_removal_gives_probabilities_summing_to_one(method: str) -> None:
    """Both methods turn 1.65 / 4.23 / 5.28 into a distribution."""
    probs = remove_margin((165, 423, 528), method)
    assert sum(probs) == pytest.approx(1.0, abs=1e-12)
    assert probs[0] > probs[2] > 0


def test_power_method_takes_more_margin_off_the_longshot() -> None:
    """Against proportional scaling, the power method shrinks the longshot more."""
    proportional = remove_margin((130, 550, 1000), "proportional")
    power = remove_margin((130, 550, 1000), "power")
    assert power[2] < proportional[2]
    assert power[0] > proportional[0]


def test_the_committed_season_has_360_matches_in_date_order() -> None:
    """The bundled Premier League file loads whole and sorted by day."""
    matches = load_season()
    assert len(matches) == 360
    assert all(a.day <= b.day for a, b in itertools.pairwise(matches))
    assert matches[0].home == "Man United"
    assert matches[0].opening_odds == (163, 438, 530)
