"""The kernels' overflow-free integer helper against Python's unbounded integers."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from oddsmith.pricing._kernels import mul_div_capped
from tests.pricing.strategies import SETTINGS

# Generous for a busy two-core machine; the first test also compiles the kernels.
pytestmark = pytest.mark.timeout(120)

INT63 = (1 << 63) - 1

factors = st.integers(0, 1 << 27) | st.integers(0, INT63)
multiplicands = st.integers(0, 1 << 41) | st.integers(0, INT63)
divisors = st.integers(1, 1 << 62) | st.integers(1, 10**6)
caps = st.integers(0, INT63) | st.integers(0, 100_000)


@SETTINGS
@given(factors, multiplicands, divisors, caps)
# The shift-and-add path, with remainders that often pass the divisor.
@example(a=(1 << 40) - 1, b=3 << 61, c=(1 << 61) + 1, cap=INT63)
@example(a=(1 << 27) - 1, b=(1 << 40) + 12_345, c=999_983, cap=INT63)
def test_mul_div_capped_matches_exact_arithmetic(
    a: int, b: int, c: int, cap: int
) -> None:
    """floor(a*b/c) capped is exact even when a*b is far past 64 bits."""
    assert mul_div_capped(a, b, c, cap) == min(a * b // c, cap)


def test_mul_div_capped_on_the_engine_extremes() -> None:
    """The largest odds numerator the engine forms divides exactly."""
    price_scale = 10_000 * 10_000
    pool = (1 << 40) - 1
    for backed in (1, 3, 10**6 + 7, 1 << 61, (1 << 62) - 1):
        expected = min(price_scale * pool // backed, 100_000)
        assert mul_div_capped(price_scale, pool, backed, 100_000) == expected


def test_cached_kernels_see_the_current_constants() -> None:
    """The on-disk kernel cache was built with today's constants (else clear it)."""
    from oddsmith.pricing._kernels import compiled_constants, python_constants

    assert compiled_constants() == python_constants()
