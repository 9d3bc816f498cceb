"""Event → row conversion for the raw-event tables (column order = ``COLUMNS``)."""

from __future__ import annotations

import base64
import pickle
from typing import Any

import orjson

__all__ = ["prediction_row", "label_row", "llm_row", "deadletter_row", "reference_row",
           "golden_row", "load_profile", "output_rows", "OUTPUT_TABLE"]

OUTPUT_TABLE = {"signal": "signals", "alert": "alerts", "trigger": "triggers",
                "reference": "reference_profiles", "golden": "golden_runs"}


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def prediction_row(e: dict[str, Any]) -> list[Any]:
    """Row for ``predictions``: prediction and features kept as JSON text."""
    return [e["event_id"], e["ts"], e["model"], str(e.get("model_version") or ""),
            e.get("prediction_id") or e["event_id"], _json(e.get("prediction")),
            e.get("score"), _json(e.get("features") or {}), e.get("service") or "",
            e.get("latency_ms")]


def label_row(e: dict[str, Any]) -> list[Any]:
    """Row for ``labels``."""
    return [e["event_id"], e["ts"], e["model"], e["prediction_id"], _json(e.get("label")),
            e.get("service") or ""]


def llm_row(e: dict[str, Any], enrich: dict[str, Any], store_text: bool) -> list[Any]:
    """Row for ``llm_events``; ``enrich`` holds tokens, cost, groundedness and the safety
    flags from the worker. Redaction (``store_text: redacted``) happens before, in the
    ingestor: ``e`` then carries the masked texts."""
    keep = store_text
    return [e["event_id"], e["ts"], e["app"], str(e.get("prompt_version") or ""),
            e.get("llm_model") or "", e.get("user") or "",
            e.get("prompt", "") if keep else "", e.get("response", "") if keep else "",
            _json(e.get("context") or []) if keep else "[]",
            int(enrich.get("input_tokens", 0)), int(enrich.get("output_tokens", 0)),
            enrich.get("token_source", ""), float(enrich.get("cost_usd", 0.0)),
            enrich.get("price_source", ""), e.get("latency_ms"), e.get("feedback"),
            enrich.get("groundedness"), int(bool(enrich.get("hallucinated", False))),
            _json(enrich.get("unsupported") or []), e.get("service") or "",
            list(enrich.get("pii") or ()), list(enrich.get("secrets") or ()),
            int(bool(enrich.get("refusal"))), int(bool(enrich.get("injection"))),
            _json(enrich.get("reasons") or [])]


def deadletter_row(topic: str, partition: int, offset: int, index: int, reason: str,
                   original: bytes, ts: float) -> list[Any]:
    """Row for ``deadletter``; the id (topic:partition:offset:index) makes replays idempotent."""
    return [f"{topic}:{partition}:{offset}:{index}", ts, topic, partition, offset, reason,
            original.decode("utf-8", "replace")]


def reference_row(record: dict[str, Any]) -> dict[str, Any]:
    """Row for ``reference_profiles`` from a monitor ``reference`` record (profile pickled:
    the store is Tripwire's own, written only by the worker and ``tripwire reference set``)."""
    blob = base64.b64encode(pickle.dumps(record["profile"], protocol=5)).decode()
    return {"model": record["entity"], "model_version": record["model_version"],
            "source": record.get("source", "first-events"), "created_ts": record["ts"],
            "profile": blob}


def load_profile(text: str) -> Any:
    """Inverse of :func:`reference_row`'s profile encoding."""
    return pickle.loads(base64.b64decode(text))  # noqa: S301 (own store, see reference_row)


def golden_row(record: dict[str, Any]) -> dict[str, Any]:
    """Row for ``golden_runs`` from a ``golden`` record (``tripwire golden run``): the cases
    and the failed-check counts kept as JSON text."""
    row = dict(record)
    row["passed"] = int(bool(record.get("passed")))
    row["cases"] = _json(record.get("cases") or [])
    row["failed_checks"] = _json(record.get("failed_checks") or {})
    return row


def output_rows(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Monitor output records (signals, alerts, triggers, references) grouped by table."""
    by_table: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        kind = record.get("kind", "signal")
        row = reference_row(record) if kind == "reference" else \
            golden_row(record) if kind == "golden" else record
        by_table.setdefault(OUTPUT_TABLE[kind], []).append(row)
    return by_table
