"""Tripwire: streaming monitoring for ML models and LLM applications."""

__version__ = "0.1.0"
__all__ = ["__version__"]
