"""Risk statistics against small examples worked out by hand."""

import numpy as np
import pytest

from sim import metrics as mx


def test_value_at_risk_is_the_loss_quantile_without_interpolation() -> None:
    """Of 100 results -1..-100, 99% VaR is the 99th smallest loss, 99."""
    results = -np.arange(1, 101)
    assert mx.value_at_risk(results, 0.99) == 99
    assert mx.value_at_risk(results, 0.5) == 50


def test_value_at_risk_of_profits_is_negative() -> None:
    """Profits 300..700 give losses -700..-300, whose 75% quantile is -400."""
    assert mx.value_at_risk([500, 300, 400, 700], 0.75) == -400


def test_conditional_value_at_risk_averages_the_tail() -> None:
    """Losses 1..100 at 95% average the five worst: (96 + ... + 100) / 5 = 98."""
    results = -np.arange(1, 101)
    assert mx.conditional_value_at_risk(results, 0.95) == pytest.approx(98.0)
    assert mx.conditional_value_at_risk(results, 0.99) == pytest.approx(100.0)


def test_conditional_value_at_risk_weights_a_fractional_tail() -> None:
    """With 10 samples at 75% the tail is 2.5 samples: (10 + 9 + 0.5 * 8) / 2.5."""
    results = -np.arange(1, 11)
    assert mx.value_at_risk(results, 0.75) == 8
    assert mx.conditional_value_at_risk(results, 0.75) == pytest.approx(23 / 2.5)


def test_drawdown_counts_from_the_running_peak_including_the_start() -> None:
    """Path 0, 5, 2, 8, 1, 4 falls 7 from its peak of 8; a first loss counts too."""
    assert mx.max_drawdown([5, -3, 6, -7, 3]) == 7
    assert mx.max_drawdown([-4, 1, 1]) == 4
    assert mx.max_drawdown([1, 2, 3]) == 0


def test_drawdowns_work_row_by_row() -> None:
    """Each season (row) gets its own drawdown."""
    rows = np.array([[5, -3, 6, -7, 3], [-4, 1, 1, 0, 0]])
    assert mx.drawdowns(rows).tolist() == [7, 4]


def test_ruin_means_the_bankroll_reached_zero() -> None:
    """A bankroll of 10 survives a fall to 1 but not one to 0 or below."""
    rows = np.array([[-5, -4, 20], [-5, -5, 20], [3, -14, 0]])
    assert mx.ruined(rows, 10).tolist() == [False, True, True]
    assert mx.ruin_probability(rows, 10) == pytest.approx(2 / 3)


def test_wilson_interval_is_not_degenerate_at_zero_ruins() -> None:
    """No ruin in 100 seasons still leaves an upper bound near 3.7%."""
    low, high = mx.ruin_interval(0, 100)
    assert low == 0.0
    assert high == pytest.approx(0.037, abs=0.001)
