"""``llm_events``: one row per LLM interaction with its enrichment (tokens, cost,
groundedness and its reasons, safety flags); texts only when ``store_text`` allows."""

from __future__ import annotations

from typing import Any

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table, from_json

__all__ = ["TABLE", "app_summaries", "record", "samples", "versions"]

TABLE = Table(
    name="llm_events",
    columns=("event_id", "ts", "app", "prompt_version", "llm_model", "user", "prompt",
             "response", "context", "input_tokens", "output_tokens", "token_source",
             "cost_usd", "price_source", "latency_ms", "feedback", "groundedness",
             "hallucinated", "unsupported", "service", "pii", "secrets", "refusal",
             "injection", "reasons"),
    migrations=(
        (1, "raw events, deadletter", (f"""CREATE TABLE IF NOT EXISTS llm_events (
            event_id String, ts Float64, app LowCardinality(String),
            prompt_version LowCardinality(String), llm_model LowCardinality(String),
            user String DEFAULT '', prompt String, response String, context String,
            input_tokens UInt32, output_tokens UInt32, token_source LowCardinality(String),
            cost_usd Float64, price_source LowCardinality(String),
            latency_ms Nullable(Float64), feedback Nullable(Int8),
            groundedness Nullable(Float64), hallucinated UInt8,
            unsupported String DEFAULT '', service LowCardinality(String) DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY (app, event_id)""",)),
        (8, "prediction latency, LLM safety flags, golden-set runs", (
            "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS pii Array(LowCardinality(String)) "
            "DEFAULT []",
            "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS secrets "
            "Array(LowCardinality(String)) DEFAULT []",
            "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS refusal UInt8 DEFAULT 0",
            "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS injection UInt8 DEFAULT 0")),
        (9, "LLM events keep the groundedness reasons", (
            "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS reasons String DEFAULT ''",)),
    ),
    json_rows=True,
)


def record(e: dict[str, Any], enrich: dict[str, Any], store_text: bool) -> dict[str, Any]:
    """The row of one LLM event; ``enrich`` holds what the worker computed. Redaction
    (``store_text: redacted``) happens before: ``e`` then carries the masked texts."""
    keep = bool(store_text)
    return {
        "event_id": e["event_id"], "ts": e["ts"], "app": e["app"],
        "prompt_version": str(e.get("prompt_version") or ""),
        "llm_model": e.get("llm_model") or "", "user": e.get("user") or "",
        "prompt": e.get("prompt", "") if keep else "",
        "response": e.get("response", "") if keep else "",
        "context": (e.get("context") or []) if keep else [],
        "input_tokens": int(enrich.get("input_tokens", 0)),
        "output_tokens": int(enrich.get("output_tokens", 0)),
        "token_source": enrich.get("token_source", ""),
        "cost_usd": float(enrich.get("cost_usd", 0.0)),
        "price_source": enrich.get("price_source", ""), "latency_ms": e.get("latency_ms"),
        "feedback": e.get("feedback"), "groundedness": enrich.get("groundedness"),
        "hallucinated": int(bool(enrich.get("hallucinated", False))),
        "unsupported": enrich.get("unsupported") or [], "service": e.get("service") or "",
        "pii": list(enrich.get("pii") or ()), "secrets": list(enrich.get("secrets") or ()),
        "refusal": int(bool(enrich.get("refusal"))),
        "injection": int(bool(enrich.get("injection"))),
        "reasons": enrich.get("reasons") or [],
    }


def app_summaries(store: ClickHouseStore) -> list[dict[str, Any]]:
    """Per app: events, last seen, events in the last minute, versions, total cost."""
    return store.query(
        "SELECT app AS name, count() AS events, max(ts) AS last_seen, "
        "countIf(ts >= (SELECT max(ts) FROM llm_events FINAL) - 60) AS events_last_min, "
        "groupUniqArray(5)(prompt_version) AS versions, sum(cost_usd) AS total_cost_usd "
        "FROM llm_events FINAL GROUP BY app ORDER BY app")


def versions(store: ClickHouseStore, app: str) -> list[dict[str, Any]]:
    """Per prompt version: volume, hallucination and negative-feedback rates, cost, latency,
    and the safety rates (responses with PII / secrets, refusals, prompts with injection
    markers)."""
    return store.query(
        "SELECT prompt_version, count() AS n, min(ts) AS first_seen, max(ts) AS last_seen, "
        "avg(hallucinated) AS hallucination_rate, avg(groundedness) AS mean_groundedness, "
        "countIf(feedback = -1) / greatest(countIf(feedback IS NOT NULL), 1) "
        "AS negative_feedback_rate, avg(cost_usd) AS cost_per_request, "
        "sum(cost_usd) AS total_cost_usd, quantile(0.5)(latency_ms) AS latency_p50, "
        "quantile(0.95)(latency_ms) AS latency_p95, avg(input_tokens) AS avg_input_tokens, "
        "avg(output_tokens) AS avg_output_tokens, avg(notEmpty(pii)) AS pii_rate, "
        "avg(notEmpty(secrets)) AS secret_rate, avg(refusal) AS refusal_rate, "
        "avg(injection) AS injection_rate FROM llm_events FINAL "
        "WHERE app = {app:String} GROUP BY prompt_version ORDER BY first_seen", {"app": app})


def samples(store: ClickHouseStore, app: str, limit: int) -> list[dict[str, Any]]:
    """The least-grounded responses of an app, hallucinations first (refusals score low but
    make no claim); text only if it was stored."""
    rows = store.query(
        "SELECT event_id, ts, prompt_version, llm_model, groundedness, hallucinated, "
        "unsupported, reasons, substring(prompt, 1, 2000) AS prompt, "
        "substring(response, 1, 4000) AS response FROM llm_events FINAL "
        "WHERE app = {app:String} AND groundedness IS NOT NULL "
        "ORDER BY hallucinated DESC, groundedness ASC, ts DESC LIMIT {limit:UInt32}",
        {"app": app, "limit": limit})
    for r in rows:
        r["unsupported"] = from_json(r["unsupported"], [])
        r["reasons"] = from_json(r["reasons"], [])
    return rows
