"""Cheap event builders used by the Emitter on the caller's thread.

Only O(1) checks (plus copying the caller's containers, so a dict reused by the caller cannot
change an event that is still queued). Feature values are checked when the event is encoded,
on the call or by the sender (see ``_defer``), and by the worker's ``validate``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from ._schema import (
    _INT_MAX,
    _TS_MAX,
    DEFAULT_LIMITS,
    NAME_MAX,
    EventError,
    Limits,
    kind_of,
    latency,
    new_event_id,
    number,
    scalar,
    ts_value,
)
from ._validate import _usage  # one rule for usage, at the call and on the wire


def _name(value: Any, where: str) -> str:
    if type(value) is str and 0 < len(value) <= NAME_MAX:
        return value
    if isinstance(value, str) and 0 < len(value) <= NAME_MAX:
        return str(value)
    raise EventError(f"{where}: expected non-empty string of at most {NAME_MAX} characters")


def _text(value: Any, where: str, limits: Limits) -> str:
    if isinstance(value, str) and len(value) <= limits.max_text_chars:
        return str(value)
    if isinstance(value, str):
        raise EventError(f"{where}: longer than {limits.max_text_chars} characters")
    raise EventError(f"{where}: expected string, got {kind_of(value)}")


def _head(kind: str, event_id: str | None, ts: Any, service: str | None) -> dict[str, Any]:
    eid = new_event_id() if event_id is None else _name(event_id, kind + ".event_id")
    when = time.time() if ts is None else ts_value(ts, kind + ".ts")
    if service:
        return {"type": kind, "schema": 1, "event_id": eid, "ts": when, "service": service}
    return {"type": kind, "schema": 1, "event_id": eid, "ts": when}


def _mapping_checked(features: Any, limits: Limits) -> None:
    """Slow path of the features check (not a plain dict): any Mapping within max_features."""
    if not isinstance(features, Mapping):
        raise EventError(f"prediction.features: expected object, got {kind_of(features)}")
    if len(features) > limits.max_features:
        raise EventError(f"prediction.features: more than max_features={limits.max_features}")


def _score(score: Any) -> float:
    score = number(score, "prediction.score")
    if not 0.0 <= score <= 1.0:
        raise EventError("prediction.score: expected a probability in [0, 1]")
    return score  # type: ignore[no-any-return]


def prediction_event(model: Any, features: Any, prediction: Any, model_version: Any, score: Any,
                     prediction_id: Any, latency_ms: Any, event_id: Any, ts: Any,
                     service: str | None, limits: Limits) -> dict[str, Any]:
    """``make_prediction`` with positional arguments: the Emitter's hot path. Exact-type checks
    inline; the general checks (same rules, same reasons) only for what they do not settle."""
    if type(features) is not dict:
        _mapping_checked(features, limits)
    elif len(features) > limits.max_features:
        raise EventError(f"prediction.features: more than max_features={limits.max_features}")
    if event_id is None:
        event_id = new_event_id()
    elif type(event_id) is not str or not 0 < len(event_id) <= NAME_MAX:
        event_id = _name(event_id, "prediction.event_id")
    if ts is None:
        ts = time.time()
    elif type(ts) is not float or not -_TS_MAX < ts < _TS_MAX:
        ts = ts_value(ts, "prediction.ts")
    if type(model) is not str or not 0 < len(model) <= NAME_MAX:
        model = _name(model, "prediction.model")
    if type(model_version) is not str or not 0 < len(model_version) <= NAME_MAX:
        model_version = _name(model_version, "prediction.model_version")
    features = dict(features)
    if type(prediction) is not bool and (type(prediction) is not int
                                         or not -_INT_MAX <= prediction <= _INT_MAX):
        prediction = scalar(prediction, "prediction.prediction", limits.max_text_chars)
    if score is not None and (type(score) is not float or not 0.0 <= score <= 1.0):
        score = _score(score)
    if prediction_id is None:
        prediction_id = event_id
    elif type(prediction_id) is not str or not 0 < len(prediction_id) <= NAME_MAX:
        prediction_id = _name(prediction_id, "prediction.prediction_id")
    ev = {"type": "prediction", "schema": 1, "event_id": event_id, "ts": ts, "model": model,
          "model_version": model_version, "features": features, "prediction": prediction,
          "prediction_id": prediction_id}
    if service:
        ev["service"] = service
    if score is not None:
        ev["score"] = score
    if latency_ms is not None:
        ev["latency_ms"] = latency(latency_ms, "prediction.latency_ms")
    return ev


def make_prediction(
    model: str,
    features: Mapping,
    prediction: Any,
    *,
    model_version: str = "unknown",
    score: Any = None,
    prediction_id: str | None = None,
    latency_ms: Any = None,
    event_id: str | None = None,
    ts: Any = None,
    service: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Build a prediction event; ``prediction_id`` defaults to the event id."""
    return prediction_event(model, features, prediction, model_version, score, prediction_id,
                            latency_ms, event_id, ts, service, limits)


def make_label(
    model: str,
    prediction_id: str,
    label: Any,
    *,
    event_id: str | None = None,
    ts: Any = None,
    service: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Build a label (ground truth) event for an earlier prediction."""
    ev = _head("label", event_id, ts, service)
    ev["model"] = _name(model, "label.model")
    ev["prediction_id"] = _name(prediction_id, "label.prediction_id")
    ev["label"] = scalar(label, "label.label", limits.max_text_chars)
    return ev


def make_llm(
    app: str,
    prompt_version: str,
    llm_model: str,
    prompt: str,
    response: str,
    *,
    context: Sequence[str] | None = None,
    usage: Mapping | None = None,
    latency_ms: Any = None,
    feedback: int | None = None,
    user: str | None = None,
    event_id: str | None = None,
    ts: Any = None,
    service: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """Build an LLM interaction event."""
    ev = _head("llm", event_id, ts, service)
    ev["app"] = _name(app, "llm.app")
    ev["prompt_version"] = _name(prompt_version, "llm.prompt_version")
    ev["llm_model"] = _name(llm_model, "llm.llm_model")
    ev["prompt"] = _text(prompt, "llm.prompt", limits)
    ev["response"] = _text(response, "llm.response", limits)
    if context is not None:
        ev["context"] = _context(context, limits)
    if usage is not None:
        ev["usage"] = _usage(usage)
    if latency_ms is not None:
        ev["latency_ms"] = latency(latency_ms, "llm.latency_ms")
    if feedback is not None:
        if type(feedback) is not int or feedback not in (-1, 0, 1):
            raise EventError(f"llm.feedback: expected -1, 0 or 1, got {kind_of(feedback)}")
        ev["feedback"] = feedback
    if user is not None:
        ev["user"] = _name(user, "llm.user")
    return ev


def _context(context: Any, limits: Limits) -> list:
    if isinstance(context, (str, bytes)) or not isinstance(context, Sequence):
        raise EventError(f"llm.context: expected list of strings, got {kind_of(context)}")
    if len(context) > limits.max_context_docs:
        raise EventError(f"llm.context: more than max_context_docs={limits.max_context_docs}")
    return [_text(doc, f"llm.context[{i}]", limits) for i, doc in enumerate(context)]
