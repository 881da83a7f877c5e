"""Errors of the pricing engine.

Every error the engine raises derives from :class:`PricingError`::

    PricingError
    ├── InvalidParams       parameters out of their range (also a ValueError)
    ├── UnknownSelection    a selection or outcome index outside the event (IndexError)
    ├── UnknownPolicy       an odds policy other than exact, better or any (ValueError)
    └── CapacityExceeded    state past the engine's integer capacity (OverflowError)

A refused bet is not an error: :meth:`Book.place` returns it with a reason.
"""

from __future__ import annotations


class PricingError(Exception):
    """Base of every error the pricing engine raises."""


class InvalidParams(PricingError, ValueError):
    """Raised when pricing parameters or an event spec cannot be priced."""


class UnknownSelection(PricingError, IndexError):
    """Raised when a selection or outcome index is outside the event."""


class UnknownPolicy(PricingError, ValueError):
    """Raised when an odds policy is not ``exact``, ``better`` or ``any``."""


class CapacityExceeded(PricingError, OverflowError):
    """Raised when rebuilt state would pass the engine's integer capacity."""
