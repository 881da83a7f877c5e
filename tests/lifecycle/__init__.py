"""Event lifecycles on a running platform: settlement, take-over, void, correction."""
