"""Fitted constants of the groundedness model (placeholder until calibrated)."""

WEIGHTS = ((0.0,) * 12,) * 3
