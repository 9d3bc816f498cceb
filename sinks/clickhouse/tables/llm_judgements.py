"""``llm_judgements``: verdicts of the optional LLM judge (docs/judge.md)."""

from __future__ import annotations

from sinks.clickhouse._table import RMT, Table

__all__ = ["TABLE"]

TABLE = Table(
    name="llm_judgements",
    columns=("event_id", "ts", "app", "prompt_version", "grounded", "score", "reason",
             "cost_usd", "latency_ms", "model"),
    migrations=((4, "LLM judge verdicts", (f"""CREATE TABLE IF NOT EXISTS llm_judgements (
        event_id String, ts Float64, app LowCardinality(String),
        prompt_version LowCardinality(String), grounded UInt8, score Float64, reason String,
        cost_usd Float64, latency_ms Float64, model LowCardinality(String),
        ingested_at DateTime64(3) DEFAULT now64(3)
    ) {RMT} ORDER BY (app, event_id)""",)),),
)
