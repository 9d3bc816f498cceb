"""Small shared pieces of the pages: UTC times, health badges, entity pickers, empty states."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import streamlit as st
from tripwire_sdk.names import PREDICTION_COLUMN

__all__ = ["EMIT_LLM", "EMIT_PREDICTION", "ago", "alert_line", "compact", "dim_label",
           "entity_health", "fmt_num", "fmt_value", "health_badge", "metric_label", "pick_entity",
           "time_range", "utc", "utc_short"]

EMIT_PREDICTION = """from tripwire_sdk import Emitter
emitter = Emitter(bootstrap="127.0.0.1:9192", service="my-service")
emitter.prediction("churn", {"age": 42, "plan": "pro"}, prediction=1, prediction_id="p-1")
emitter.label("churn", prediction_id="p-1", label=0)   # later, when the truth is known"""

EMIT_LLM = """from tripwire_sdk import Emitter
emitter = Emitter(bootstrap="127.0.0.1:9192", service="my-service")
emitter.llm("support-bot", prompt_version="v1", llm_model="gpt-4o-mini",
            prompt=question, response=answer, context=retrieved_docs,
            usage={"input_tokens": 900, "output_tokens": 60}, latency_ms=540, feedback=1)"""

ICON_CRITICAL = ":red[:material/local_fire_department:]"
ICON_WARNING = ":orange[:material/warning:]"
ICON_OK = ":green[:material/check_circle:]"

_LABELS = {
    "drift.share": "share of drifted features", "drift.change": "drift change points",
    "drift.burst": "share of features whose mean jumped",
    "missing.share": "missing share", "unseen.share": "unseen categories share",
    "label.coverage": "label coverage", "label.latency_s": "label latency (s)",
    "accuracy.decay": "accuracy decay detected", "error.adwin": "error-rate change (ADWIN)",
    "hallucination.rate": "hallucination rate", "groundedness.mean": "mean groundedness",
    "feedback.negative_rate": "negative feedback rate", "cost.per_request": "cost per request",
    "cost.total": "cost per window", "tokens.input": "input tokens / request",
    "tokens.output": "output tokens / request", "latency_ms.p50": "latency p50 (ms)",
    "latency_ms.p95": "latency p95 (ms)", "budget.used_share": "budget used",
    "budget.projected_share": "budget projected", "latency_ms.p99": "latency p99 (ms)",
    "safety.pii_rate": "responses with PII", "safety.secret_rate": "responses with secrets",
    "refusal.rate": "refusal rate", "injection.rate": "prompts with injection markers",
}
_HEALTH = {"ok": ("ok", "green", ":material/check_circle:"),
           "warning": ("warning", "orange", ":material/warning:"),
           "firing": ("firing", "red", ":material/local_fire_department:"),
           "delivered": ("last attempt ok", "green", ":material/check_circle:"),
           "failed": ("last attempt failed", "red", ":material/error:")}


def metric_label(metric: str) -> str:
    """Human name of a metric (``drift.wasserstein`` → ``drift (wasserstein)``)."""
    if metric.startswith("drift.") and metric not in _LABELS:
        return f"drift ({metric[6:]})"
    return _LABELS.get(metric, metric)


def dim_label(dimension: str) -> str:
    """A dimension as shown: the prediction column reads ``prediction``."""
    return "prediction" if dimension == PREDICTION_COLUMN else dimension


def utc(ts: float | None) -> str:
    """``2026-01-01 00:06:39 UTC`` for epoch seconds; ``—`` for none."""
    if ts is None:
        return "—"
    return datetime.fromtimestamp(float(ts), UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def utc_short(ts: float) -> str:
    """``Jan 01 00:06:39`` (UTC), for compact labels."""
    return datetime.fromtimestamp(float(ts), UTC).strftime("%b %d %H:%M:%S")


def ago(ts: float | None, now: float | None = None) -> str:
    """``3 min ago`` relative to the wall clock (empty when in the future)."""
    if ts is None:
        return ""
    delta = (time.time() if now is None else now) - float(ts)
    if delta < 0:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if delta >= size:
            return f"{delta / size:.0f} {unit} ago"
    return f"{delta:.0f} s ago"


def fmt_num(value: Any, digits: int = 3) -> str:
    """Compact number: ``0.312``, ``1.2e-05``, ``12,345``."""
    if value is None:
        return "—"
    v = float(value)
    if v == int(v) and abs(v) >= 1:
        return f"{int(v):,}"
    if v != 0 and abs(v) < 10 ** -digits:
        return f"{v:.1e}"
    return f"{v:.{digits}g}" if abs(v) < 1000 else f"{v:,.0f}"


def compact(value: Any) -> str:
    """``20k``, ``3.1k``, ``1.2M``, ``601`` for counts in small metric tiles."""
    v = float(value or 0)
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            text = f"{v / size:.1f}".removesuffix(".0")
            return f"{text}{suffix}"
    return f"{v:.0f}"


def fmt_value(metric: str, value: Any) -> str:
    """A metric's value as people read it: shares and rates in %, the rest compact."""
    if value is None:
        return "—"
    if (metric.startswith("budget.") or metric.endswith((".share", ".rate"))
            or metric in ("label.coverage", "groundedness.mean")):
        return f"{float(value):.1%}".replace(".0%", "%")
    return fmt_num(value)


def entity_health(row: dict[str, Any], open_alerts: list[dict[str, Any]]) -> str:
    """ok / warning / firing: firing when a critical alert is open, warning for others."""
    mine = [a for a in open_alerts if a.get("entity") == row.get("name")]
    if any(a.get("severity") == "critical" for a in mine):
        return "firing"
    if mine or row.get("health") == "firing":
        return "warning"
    return "ok"


def health_badge(health: str) -> None:
    label, color, icon = _HEALTH.get(health, (health, "gray", ":material/help:"))
    st.badge(label, icon=icon, color=color)  # type: ignore[arg-type]


def alert_line(alert: dict[str, Any]) -> str:
    """One-line markdown for an alert: metric, dimension, value vs threshold, severity."""
    dim = f" · `{dim_label(alert['dimension'])}`" if alert.get("dimension") else ""
    metric, vs = alert.get("metric", ""), ""
    if alert.get("value") is not None and alert.get("threshold") is not None:
        vs = (f" = {fmt_value(metric, alert['value'])} "
              f"(threshold {fmt_value(metric, alert['threshold'])})")
    icon = ICON_CRITICAL if alert.get("severity") == "critical" else ICON_WARNING
    return f"{icon} **{metric_label(alert.get('metric', ''))}**{dim}{vs}"


RANGES = {"all": None, "24 h": 86400, "6 h": 21600, "1 h": 3600, "15 min": 900}


def time_range(last_seen: float, key: str) -> float | None:
    """A range picker relative to the entity's last event; returns the start (or None)."""
    chosen = st.segmented_control("Time range (before the last event)", list(RANGES),
                                  default="all", key=key)
    seconds = RANGES.get(chosen or "all")
    return None if seconds is None else float(last_seen) - seconds


def pick_entity(label: str, names: list[str], key: str = "entity") -> str:
    """A selectbox bound to the ``?entity=`` query parameter, so links can deep-link."""
    return st.selectbox(label, names, key=key, bind="query-params")
