"""tripwire-sdk: emit prediction, label and LLM events to Tripwire without hurting the host.

    from tripwire_sdk import Emitter
    tw = Emitter(bootstrap="kafka:9092", service="checkout")
    tw.prediction("churn", {"age": 41, "plan": "pro"}, 1, score=0.83, model_version="v7")

The event schema (the wire contract) lives in ``tripwire_sdk.events``.
"""

from ._emitter import Emitter
from .events import (
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    TOPICS,
    EventError,
    Limits,
    decode_message,
    validate,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_LIMITS",
    "SCHEMA_VERSION",
    "TOPICS",
    "Emitter",
    "EventError",
    "Limits",
    "__version__",
    "decode_message",
    "validate",
]
