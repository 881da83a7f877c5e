"""Oddsmith: shared core of the betting platform.

Every component (the APIs, the broker, the workers, the relay and the simulator)
imports configuration, the data model, the message protocol and the pricing
engine from here; components never import each other.
"""
