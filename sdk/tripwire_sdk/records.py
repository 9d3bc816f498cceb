"""The records Tripwire publishes (docs/contracts.md), one typed shape and one constructor each.

The worker's monitor builds every signal, alert state change, trigger and dead letter through
these constructors; sinks store them and consumers of the topics read them with the same
types. Records are plain dicts (JSON on the wire) typed with ``TypedDict``, so they cost
nothing to serialise and stay readable by any JSON consumer.
"""

from __future__ import annotations

from typing import Any, TypedDict

__all__ = ["Alert", "DeadLetter", "Signal", "Trigger", "alert", "dead_letter", "signal",
           "trigger"]


class _Signal(TypedDict):

    kind: str  # "signal"
    entity_type: str  # "model" | "app"
    entity: str
    metric: str
    dimension: str  # a feature, prompt version, budget scope ... or ""
    value: float
    threshold: float | None
    n: int
    window_start: float
    window_end: float
    ts: float


class Signal(_Signal, total=False):
    """One value of a metric time series over an event-time window."""

    model_version: str  # model signals
    evidence: dict[str, Any]


class Alert(TypedDict):
    """A ``firing`` or ``resolved`` state change of one alert series."""

    kind: str  # "alert"
    alert_id: str
    entity_type: str
    entity: str
    metric: str
    dimension: str
    state: str  # "firing" | "resolved"
    severity: str  # "warning" | "critical"
    ts: float
    value: float
    threshold: float | None
    window_start: float
    window_end: float
    evidence: dict[str, Any]


class _Trigger(TypedDict):

    kind: str  # "trigger"
    trigger_id: str
    type: str  # "retrain" | "prompt_rollback"
    entity_type: str
    entity: str
    ts: float
    reason: list[str]
    evidence: dict[str, Any]


class Trigger(_Trigger, total=False):
    """A command for another system: ``retrain`` a model or ``prompt_rollback`` an app."""

    from_version: str  # prompt_rollback only
    to_version: str


class DeadLetter(TypedDict):
    """An input message (or array element) that failed validation, with the reason."""

    id: str  # source_topic:partition:offset:index, so a replay replaces rather than adds
    ts: float
    source_topic: str
    partition: int
    offset: int
    reason: str
    original: str  # the original bytes as text


def signal(entity_type: str, entity: str, metric: str, dimension: str, value: float,
           threshold: float | None, n: int, window_start: float, window_end: float,
           ts: float | None = None) -> Signal:
    """A signal; ``ts`` defaults to the window's end."""
    return {"kind": "signal", "entity_type": entity_type, "entity": entity, "metric": metric,
            "dimension": dimension, "value": float(value), "threshold": threshold, "n": int(n),
            "window_start": window_start, "window_end": window_end,
            "ts": window_end if ts is None else ts}


def alert(alert_id: str, entity_type: str, entity: str, metric: str, dimension: str,
          state: str, severity: str, ts: float, value: float, threshold: float | None,
          window_start: float, window_end: float, evidence: dict[str, Any]) -> Alert:
    """An alert state change."""
    return {"kind": "alert", "alert_id": alert_id, "entity_type": entity_type,
            "entity": entity, "metric": metric, "dimension": dimension, "state": state,
            "severity": severity, "ts": ts, "value": value, "threshold": threshold,
            "window_start": window_start, "window_end": window_end, "evidence": evidence}


def trigger(trigger_id: str, type: str, entity_type: str, entity: str, ts: float,
            reason: list[str], evidence: dict[str, Any], from_version: str | None = None,
            to_version: str | None = None) -> Trigger:
    """A trigger; ``from_version``/``to_version`` only for ``prompt_rollback``."""
    record: Trigger = {"kind": "trigger", "trigger_id": trigger_id, "type": type,
                       "entity_type": entity_type, "entity": entity, "ts": ts,
                       "reason": reason, "evidence": evidence}
    if from_version is not None and to_version is not None:
        record["from_version"], record["to_version"] = from_version, to_version
    return record


def dead_letter(topic: str, partition: int, offset: int, index: int, reason: str,
                original: bytes, ts: float) -> DeadLetter:
    """A dead letter (``index``: the element's position in an array message, else 0)."""
    return {"id": f"{topic}:{partition}:{offset}:{index}", "ts": ts, "source_topic": topic,
            "partition": partition, "offset": offset, "reason": reason,
            "original": original.decode("utf-8", "replace")}
