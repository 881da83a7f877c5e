"""Convert money and odds between their integer form and their wire form.

Money is always an integer number of cents. Odds are integers in hundredths
(``235`` means decimal odds 2.35) and travel as strings with two places.
"""

import re

_ODDS_PATTERN = re.compile(r"^([1-9][0-9]{0,3})\.([0-9]{2})$")


class OddsFormatError(ValueError):
    """Raised when an odds string is not a decimal with exactly two places."""


def format_odds(hundredths: int) -> str:
    """Render odds held in hundredths as a two-place decimal string."""
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def parse_odds(text: str) -> int:
    """Parse a two-place decimal odds string such as ``"2.35"`` into hundredths."""
    match = _ODDS_PATTERN.match(text)
    if match is None:
        raise OddsFormatError(f"odds must look like 2.35, got {text!r}")
    return int(match.group(1)) * 100 + int(match.group(2))


def payout(stake: int, odds: int) -> int:
    """Return what a winning stake pays at the given odds, rounded down to the cent."""
    return stake * odds // 100
