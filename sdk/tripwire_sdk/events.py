"""Tripwire event schema v1: the wire contract between producers and the worker.

One Kafka message value is a JSON object (one event) or a JSON array of events. Kafka key =
``model`` (predictions, labels) or ``app`` (llm); topics are in ``TOPICS``. Field names are
fixed; ``?`` marks an optional field (null counts as absent)::

    prediction  {"type": "prediction", "schema": 1, "event_id", "ts", "model", "model_version",
                 "features": {name: number | string | null}, "prediction": number | string | bool,
                 "score"?: probability in [0, 1], "prediction_id"?: defaults to event_id,
                 "latency_ms"?: number >= 0}
    label       {"type": "label", "schema": 1, "event_id", "ts", "model", "prediction_id",
                 "label": number | string | bool}
    llm         {"type": "llm", "schema": 1, "event_id", "ts", "app", "prompt_version",
                 "llm_model", "prompt", "response", "context"?: [string],
                 "usage"?: {"input_tokens": int >= 0, "output_tokens": int >= 0},
                 "latency_ms"?: number >= 0, "feedback"?: -1 | 0 | 1, "user"?: string}

Every event may carry ``"service"`` (string; the Emitter sets it). ``"schema"`` may be left out
(read as 1); any other value is rejected. ``ts`` is epoch seconds (int/float) or ISO-8601 with a
UTC offset (``Z`` or ``+hh:mm``); it is normalized to float epoch seconds, a naive timestamp is
rejected. ``event_id`` is a non-empty string (a random UUID4 hex by default). Numbers must be
finite. Unknown fields are dropped (forward compatible). Identifiers (ids, names, versions, user)
are at most 1024 characters. A feature value that is a bool is normalized to 0/1.

Errors: ``EventError(ValueError)`` with ``.reason``, e.g.
``"prediction.features.age: expected number, string or null, got list"``.
"""

from __future__ import annotations

from ._build import make_label, make_llm, make_prediction
from ._decode import decode_message
from ._schema import (
    DEFAULT_LIMITS,
    SCHEMA_VERSION,
    TOPICS,
    EventError,
    Limits,
    new_event_id,
    parse_ts,
)
from ._validate import entity_of, validate

EventError.__module__ = Limits.__module__ = __name__  # their public home

__all__ = [
    "DEFAULT_LIMITS",
    "SCHEMA_VERSION",
    "TOPICS",
    "EventError",
    "Limits",
    "decode_message",
    "entity_of",
    "make_label",
    "make_llm",
    "make_prediction",
    "new_event_id",
    "parse_ts",
    "validate",
]
