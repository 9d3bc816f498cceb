"""``alerts``: alert state changes (docs/contracts.md, Alert); ``evidence`` as JSON text."""

from __future__ import annotations

from typing import Any

from sinks._keys import record_key
from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table, from_json

__all__ = ["TABLE", "changes", "open_alerts"]

TABLE = Table(
    name="alerts",
    columns=("alert_id", "state", "entity_type", "entity", "metric", "dimension", "severity",
             "ts", "value", "threshold", "window_start", "window_end", "evidence"),
    migrations=((2, "signals, alerts, triggers", (f"""CREATE TABLE IF NOT EXISTS alerts (
            alert_id String, state LowCardinality(String), entity_type LowCardinality(String),
            entity LowCardinality(String), metric LowCardinality(String), dimension String,
            severity LowCardinality(String), ts Float64, value Float64,
            threshold Nullable(Float64), window_start Float64, window_end Float64,
            evidence String, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY (alert_id, ts, state)""",)),),
    json_columns=frozenset({"evidence"}),
    defaults={"dimension": "", "severity": "warning", "entity_type": "", "entity": "",
              "window_start": 0.0, "window_end": 0.0},
)


def changes(store: ClickHouseStore, entity: str | None = None,
            limit: int = 500) -> list[dict[str, Any]]:
    """Alert state changes, newest first, each with ``ref`` (the key deliveries name it by)."""
    rows = store.query(
        "SELECT * EXCEPT ingested_at FROM alerts FINAL "
        "WHERE ({entity:String} = '' OR entity = {entity:String}) "
        "ORDER BY ts DESC, alert_id LIMIT {limit:UInt32}",
        {"entity": entity or "", "limit": limit})
    for r in rows:
        r["evidence"] = from_json(r["evidence"], {})
        r["ref"] = record_key(r)
    return rows


def open_alerts(store: ClickHouseStore) -> list[dict[str, Any]]:
    """Alerts whose latest state is ``firing``."""
    return store.query(
        "SELECT alert_id, argMax(state, (ts, state = 'resolved')) AS state, "
        "any(entity) AS entity, any(metric) AS metric, any(dimension) AS dimension, "
        "any(severity) AS severity, max(ts) AS last_ts FROM alerts FINAL GROUP BY alert_id "
        "HAVING state = 'firing' ORDER BY last_ts DESC")
