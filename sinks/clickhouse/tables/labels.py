"""``labels``: one row per label event (the label as JSON text)."""

from __future__ import annotations

from typing import Any

import orjson

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table

__all__ = ["TABLE", "counts_by_model", "records"]

TABLE = Table(
    name="labels",
    columns=("event_id", "ts", "model", "prediction_id", "label", "service"),
    migrations=((1, "raw events, deadletter", (f"""CREATE TABLE IF NOT EXISTS labels (
            event_id String, ts Float64, model LowCardinality(String), prediction_id String,
            label String, service LowCardinality(String) DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY (model, event_id)""",)),),
    json_rows=True,
)


def records(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated label events as rows; a string label is given as its JSON text."""
    return [e if type(e["label"]) is not str else
            {**e, "label": orjson.dumps(e["label"]).decode()} for e in events]


def counts_by_model(store: ClickHouseStore) -> dict[str, int]:
    return {r["model"]: r["n"] for r in store.query(
        "SELECT model, count() AS n FROM labels FINAL GROUP BY model")}
