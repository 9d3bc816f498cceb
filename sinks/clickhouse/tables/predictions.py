"""``predictions``: one row per prediction event (features and prediction as JSON text)."""

from __future__ import annotations

from typing import Any

import orjson
from tripwire_sdk.names import PREDICTION_COLUMN, TS_COLUMN

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table, from_json

__all__ = ["TABLE", "features", "model_summaries", "records"]

TABLE = Table(
    name="predictions",
    columns=("event_id", "ts", "model", "model_version", "prediction_id", "prediction",
             "score", "features", "service", "latency_ms"),
    migrations=(
        (1, "raw events, deadletter", (f"""CREATE TABLE IF NOT EXISTS predictions (
            event_id String, ts Float64, model LowCardinality(String),
            model_version LowCardinality(String), prediction_id String,
            prediction String, score Nullable(Float64), features String,
            service LowCardinality(String) DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY (model, event_id)""",)),
        (8, "prediction latency, LLM safety flags, golden-set runs", (
            "ALTER TABLE predictions ADD COLUMN IF NOT EXISTS latency_ms Nullable(Float64)",)),
    ),
    json_rows=True,
)


def records(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated prediction events as rows: the events themselves (the engine skips the keys
    that are no column); a string prediction is given as its JSON text, like any other."""
    return [e if type(e["prediction"]) is not str else
            {**e, "prediction": orjson.dumps(e["prediction"]).decode()} for e in events]


def model_summaries(store: ClickHouseStore) -> list[dict[str, Any]]:
    """Per model: events, last seen, events in the last minute of event time, versions."""
    return store.query(
        "SELECT model AS name, count() AS events, max(ts) AS last_seen, "
        "countIf(ts >= (SELECT max(ts) FROM predictions FINAL) - 60) AS events_last_min, "
        "groupUniqArray(5)(model_version) AS versions "
        "FROM predictions FINAL GROUP BY model ORDER BY model")


def features(store: ClickHouseStore, model: str, start: float, end: float,
             limit: int) -> list[dict[str, Any]]:
    """Raw feature dicts of a model in an event-time range, each with its prediction and time
    under the reserved names (``tripwire_sdk.names``)."""
    rows = store.query(
        "SELECT features, prediction, ts FROM predictions FINAL WHERE model = {m:String} "
        "AND ts >= {s:Float64} AND ts < {e:Float64} ORDER BY ts LIMIT {limit:UInt32}",
        {"m": model, "s": start, "e": end, "limit": limit})
    out = []
    for r in rows:
        feats = from_json(r["features"], {})
        feats[PREDICTION_COLUMN] = from_json(r["prediction"], None)
        feats[TS_COLUMN] = r["ts"]
        out.append(feats)
    return out
