"""Versioned schema migrations for the ClickHouse store.

Every table is a ReplacingMergeTree keyed by a natural id, so a replayed Kafka batch (delivery
is at-least-once) replaces rows instead of adding them; reads use ``FINAL``. Timestamps are
``Float64`` epoch seconds of event time, as in the record contracts (docs/contracts.md).
Migrations only ever append to ``MIGRATIONS``; an applied migration is never edited.
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "TABLES"]

_RMT = "ENGINE = ReplacingMergeTree(ingested_at)"

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (1, "raw events, deadletter", [
        f"""CREATE TABLE IF NOT EXISTS predictions (
            event_id String, ts Float64, model LowCardinality(String),
            model_version LowCardinality(String), prediction_id String,
            prediction String, score Nullable(Float64), features String,
            service LowCardinality(String) DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY (model, event_id)""",
        f"""CREATE TABLE IF NOT EXISTS labels (
            event_id String, ts Float64, model LowCardinality(String), prediction_id String,
            label String, service LowCardinality(String) DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY (model, event_id)""",
        f"""CREATE TABLE IF NOT EXISTS llm_events (
            event_id String, ts Float64, app LowCardinality(String),
            prompt_version LowCardinality(String), llm_model LowCardinality(String),
            user String DEFAULT '', prompt String, response String, context String,
            input_tokens UInt32, output_tokens UInt32, token_source LowCardinality(String),
            cost_usd Float64, price_source LowCardinality(String),
            latency_ms Nullable(Float64), feedback Nullable(Int8),
            groundedness Nullable(Float64), hallucinated UInt8,
            unsupported String DEFAULT '', service LowCardinality(String) DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY (app, event_id)""",
        f"""CREATE TABLE IF NOT EXISTS deadletter (
            id String, ts Float64, source_topic LowCardinality(String), partition Int32,
            offset Int64, reason String, original String,
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY id""",
    ]),
    (2, "signals, alerts, triggers", [
        f"""CREATE TABLE IF NOT EXISTS signals (
            entity_type LowCardinality(String), entity LowCardinality(String),
            metric LowCardinality(String), dimension String, value Float64,
            threshold Nullable(Float64), n UInt64, window_start Float64, window_end Float64,
            ts Float64, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY (entity, metric, dimension, window_end)""",
        f"""CREATE TABLE IF NOT EXISTS alerts (
            alert_id String, state LowCardinality(String), entity_type LowCardinality(String),
            entity LowCardinality(String), metric LowCardinality(String), dimension String,
            severity LowCardinality(String), ts Float64, value Float64,
            threshold Nullable(Float64), window_start Float64, window_end Float64,
            evidence String, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY (alert_id, ts, state)""",
        f"""CREATE TABLE IF NOT EXISTS triggers (
            trigger_id String, type LowCardinality(String), entity_type LowCardinality(String),
            entity LowCardinality(String), ts Float64, reason Array(String), evidence String,
            from_version String DEFAULT '', to_version String DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY trigger_id""",
    ]),
    (3, "webhook deliveries, reference profiles", [
        f"""CREATE TABLE IF NOT EXISTS webhook_deliveries (
            destination LowCardinality(String), webhook_id String, kind LowCardinality(String),
            entity String, attempt UInt16, status Int32, ok UInt8, latency_ms Float64,
            error String, ts Float64, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY (webhook_id, destination, attempt, ts)""",
        f"""CREATE TABLE IF NOT EXISTS reference_profiles (
            model LowCardinality(String), model_version String, source String,
            created_ts Float64, profile String, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {_RMT} ORDER BY (model, model_version)""",
    ]),
]

MIGRATIONS.append((4, "LLM judge verdicts", [
    f"""CREATE TABLE IF NOT EXISTS llm_judgements (
        event_id String, ts Float64, app LowCardinality(String),
        prompt_version LowCardinality(String), grounded UInt8, score Float64, reason String,
        cost_usd Float64, latency_ms Float64, model LowCardinality(String),
        ingested_at DateTime64(3) DEFAULT now64(3)
    ) {_RMT} ORDER BY (app, event_id)""",
]))

MIGRATIONS.append((5, "monitor state snapshots", [
    f"""CREATE TABLE IF NOT EXISTS monitor_state (
        worker_id String, ts Float64, state String,
        ingested_at DateTime64(3) DEFAULT now64(3)
    ) {_RMT} ORDER BY worker_id""",
]))

MIGRATIONS.append((6, "delivery attempts name the alert state changes and triggers they carry", [
    "ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS refs Array(String) DEFAULT []",
]))

MIGRATIONS.append((7, "monitor state per entity (checkpoint copies); whole-worker snapshots go", [
    f"""CREATE TABLE IF NOT EXISTS entity_state (
        entity_type LowCardinality(String), entity String, partition UInt32, ts Float64,
        state String, ingested_at DateTime64(3) DEFAULT now64(3)
    ) {_RMT} ORDER BY (entity_type, entity)""",
    "DROP TABLE IF EXISTS monitor_state",
]))

MIGRATIONS.append((8, "prediction latency, LLM safety flags, golden-set runs", [
    "ALTER TABLE predictions ADD COLUMN IF NOT EXISTS latency_ms Nullable(Float64)",
    "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS pii Array(LowCardinality(String)) "
    "DEFAULT []",
    "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS secrets Array(LowCardinality(String)) "
    "DEFAULT []",
    "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS refusal UInt8 DEFAULT 0",
    "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS injection UInt8 DEFAULT 0",
    f"""CREATE TABLE IF NOT EXISTS golden_runs (
        run_id String, ts Float64, app LowCardinality(String), prompt_version String,
        llm_model LowCardinality(String), passed UInt8, n_cases UInt32, n_passed UInt32,
        pass_rate Float64, min_pass_rate Float64, cost_usd Float64,
        latency_ms_p50 Nullable(Float64), latency_ms_p95 Nullable(Float64),
        groundedness_mean Nullable(Float64), failed_checks String, cases String,
        ingested_at DateTime64(3) DEFAULT now64(3)
    ) {_RMT} ORDER BY (app, run_id)""",
]))

MIGRATIONS.append((9, "LLM events keep the groundedness reasons", [
    "ALTER TABLE llm_events ADD COLUMN IF NOT EXISTS reasons String DEFAULT ''",
]))

TABLES = ("predictions", "labels", "llm_events", "deadletter", "signals", "alerts", "triggers",
          "webhook_deliveries", "reference_profiles", "llm_judgements", "entity_state",
          "golden_runs")
