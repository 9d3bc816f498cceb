"""An optional accelerator for :func:`~tripwire_sdk.events.decode_message` (the worker's hot
path): an array message of plain predictions and labels parsed by orjson and checked in C by
msgspec (``msgspec.convert`` against typed records), when both are installed (the worker's
distribution has them; the SDK needs neither).

The rules stay in ``_validate``: this module admits only a subset of what they accept (array
messages of ``prediction``/``label`` events whose every field already has its normal form:
no ISO timestamps, bools among the features, integers beyond int64 ...) and builds the very
same dicts, key order included. On any doubt it returns None and the message takes the
general path, which also finds the exact reason for whatever is wrong. tests/unit/
test_events.py decodes edge-case messages both ways and compares.

Why orjson parses and msgspec only checks: orjson is the worker's parser, so values are
what the general path sees by construction, and it shares one string object per distinct
key (its key cache). msgspec's own JSON decoder is ~1 µs faster per event but gives every
event's feature names their own strings, which cost the monitor's per-feature look-ups more
than that (measured: decode 7.3 vs 11.6 µs per 20-feature prediction, but monitor and offset
filter +2 µs; with orjson + convert: decode 6.9 vs 10.8, the rest unchanged).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Annotated, Any, Literal, Optional, Union

from ._schema import _TS_MAX, NAME_MAX, Limits
from ._validate import _OVERHEAD, _PER_FIELD

# The field types below are run-time objects handed to msgspec, spelled with Union/Optional
# so that they evaluate on every Python the SDK supports (3.9+).
Decoder = tuple[Callable[[bytes], list], type, tuple[type[BaseException], ...]]


@lru_cache(maxsize=8)
def _decoder(limits: Limits) -> Decoder | None:
    """A decoder of ``[prediction | label, ...]`` under ``limits``, the prediction type it
    yields and the errors it raises for a message that is not plain (None without msgspec
    and orjson). Integers are held to int64 (the rules allow up to 2**63; that one value
    beyond int64 takes the general path). msgspec is imported here, on the first decode:
    an application that only emits events never pays for it."""
    try:  # optional: the worker has them, an application emitting events need not
        import msgspec
        import orjson
        from msgspec import Meta
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    name = Annotated[str, Meta(min_length=1, max_length=NAME_MAX)]
    integer = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
    text = Annotated[str, Meta(max_length=limits.max_text_chars)]
    value = Union[bool, integer, float, text]  # noqa: UP007 (a prediction or a label)
    feature = Union[integer, float, str, None]  # noqa: UP007
    features = Annotated[dict[Annotated[str, Meta(min_length=1)], feature],
                         Meta(max_length=limits.max_features)]
    score = Union[Annotated[int, Meta(ge=0, le=1)],  # noqa: UP007
                  Annotated[float, Meta(ge=0.0, le=1.0)]]
    latency = Union[Annotated[int, Meta(ge=0, le=2**63 - 1)],  # noqa: UP007
                    Annotated[float, Meta(ge=0.0)]]
    optional = [("service", Optional[name], None),  # noqa: UP045
                ("schema", Literal[1], 1)]
    prediction = msgspec.defstruct(
        "Prediction", [("event_id", name), ("ts", float), ("model", name),
                       ("model_version", name), ("features", features), ("prediction", value),
                       ("score", Optional[score], None),  # noqa: UP045
                       ("prediction_id", Optional[name], None),  # noqa: UP045
                       ("latency_ms", Optional[latency], None), *optional],  # noqa: UP045
        tag_field="type", tag="prediction", gc=False)
    label = msgspec.defstruct(
        "Label", [("event_id", name), ("ts", float), ("model", name), ("prediction_id", name),
                  ("label", value), *optional],
        tag_field="type", tag="label", gc=False)
    events = list[Union[prediction, label]]  # type: ignore[valid-type]  # noqa: UP007
    return ((lambda data: msgspec.convert(orjson.loads(data), events)), prediction,
            (msgspec.MsgspecError, orjson.JSONDecodeError, RecursionError))


def fast_events(data: bytes, limits: Limits) -> list[dict[str, Any]] | None:
    """The normalized events of an array message if all of them are plain predictions or
    labels within ``limits``; None to take the general path. Parses with ``orjson.loads``:
    the caller uses it only where the general path would parse with that too."""
    if data[:1] != b"[":
        return None
    found = _decoder(limits)
    if found is None:
        return None
    decode, prediction, not_plain = found
    try:
        items: list[Any] = decode(data)
    except not_plain:  # bad JSON or not a plain event: no guess
        return None
    if len(items) > limits.max_batch_events:
        return None
    # Every string the size estimate counts is in the message, so small messages cannot
    # hold an event beyond the limit; larger ones are estimated event by event.
    exact = _OVERHEAD + _PER_FIELD * limits.max_features + len(data) > limits.max_event_bytes
    out = []
    item: Any
    for item in items:
        ts = item.ts
        if not -_TS_MAX < ts < _TS_MAX:
            return None
        is_prediction = item.__class__ is prediction  # (a bool: no narrowing to `type`)
        if is_prediction:
            event = {"type": "prediction", "schema": 1, "event_id": item.event_id, "ts": ts}
            if item.service is not None:
                event["service"] = item.service
            event["model"], event["model_version"] = item.model, item.model_version
            event["features"], event["prediction"] = item.features, item.prediction
            if item.score is not None:
                event["score"] = item.score
            event["prediction_id"] = item.event_id if item.prediction_id is None \
                else item.prediction_id
            if item.latency_ms is not None:
                event["latency_ms"] = item.latency_ms
            if exact and _prediction_size(event) > limits.max_event_bytes:
                return None
        else:
            event = {"type": "label", "schema": 1, "event_id": item.event_id, "ts": ts}
            if item.service is not None:
                event["service"] = item.service
            event["model"], event["prediction_id"] = item.model, item.prediction_id
            event["label"] = item.label
            if exact and _label_size(event) > limits.max_event_bytes:
                return None
        out.append(event)
    return out


def _prediction_size(event: dict[str, Any]) -> int:
    feats, pred = event["features"], event["prediction"]
    size = sum(map(len, feats)) + _PER_FIELD * len(feats)
    size += sum(len(v) for v in feats.values() if type(v) is str)
    size += len(pred) if type(pred) is str else 0
    return size + len(event["model"]) + len(event["model_version"]) + _OVERHEAD + \
        len(event["event_id"])


def _label_size(event: dict[str, Any]) -> int:
    value = event["label"]
    return (len(value) if type(value) is str else 0) + len(event["model"]) + _OVERHEAD + \
        len(event["event_id"])
