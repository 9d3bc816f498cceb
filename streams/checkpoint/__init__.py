"""Monitor state that follows its partition: per-entity checkpoint records, their bytes, the
checkpoint topic, and the worker-side checkpoint / restore / catch-up (see ``_manager``)."""

from streams.checkpoint._codec import decode, encode, profile_from_text, profile_text
from streams.checkpoint._manager import Checkpointer, KafkaSide
from streams.checkpoint._tracker import OffsetTracker

__all__ = ["Checkpointer", "KafkaSide", "OffsetTracker", "decode", "encode",
           "profile_from_text", "profile_text"]
