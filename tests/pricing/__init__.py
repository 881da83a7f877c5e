"""Tests of the pricing engine and the event specs."""
