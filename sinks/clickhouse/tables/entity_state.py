"""``entity_state``: this worker's copy of each entity's latest checkpoint.

The checkpoint topic is where state moves between workers; this copy is what survives a
restart of the embedded stack, whose in-memory broker forgets the topic. ``state`` holds the
checkpoint bytes (``streams.checkpoint`` encodes them) in base64; one row per entity
(ReplacingMergeTree: the newest write wins, read with ``FINAL``). It replaced the whole-worker
pickled snapshots of ``monitor_state`` (migrations 5 and 7).
"""

from __future__ import annotations

import base64
from typing import Any

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table

__all__ = ["TABLE", "load", "record"]

TABLE = Table(
    name="entity_state",
    columns=("entity_type", "entity", "partition", "ts", "state"),
    migrations=(
        (5, "monitor state snapshots", (f"""CREATE TABLE IF NOT EXISTS monitor_state (
        worker_id String, ts Float64, state String,
        ingested_at DateTime64(3) DEFAULT now64(3)
    ) {RMT} ORDER BY worker_id""",)),
        (7, "monitor state per entity (checkpoint copies); whole-worker snapshots go", (
            f"""CREATE TABLE IF NOT EXISTS entity_state (
        entity_type LowCardinality(String), entity String, partition UInt32, ts Float64,
        state String, ingested_at DateTime64(3) DEFAULT now64(3)
    ) {RMT} ORDER BY (entity_type, entity)""",
            "DROP TABLE IF EXISTS monitor_state")),
    ),
)

_LATEST = ("SELECT entity_type, entity, partition, ts, state FROM entity_state FINAL "
           "WHERE partition = {partition:UInt32}")


def record(kind: str, entity: str, partition: int, ts: float, state: bytes) -> dict[str, Any]:
    return {"entity_type": kind, "entity": entity, "partition": partition, "ts": ts,
            "state": base64.b64encode(state).decode()}


def load(store: ClickHouseStore, partition: int) -> list[dict[str, Any]]:
    """The stored checkpoint of every entity last seen on ``partition`` (``state`` as bytes)."""
    rows = store.query(_LATEST, {"partition": partition})
    for row in rows:
        row["state"] = base64.b64decode(row["state"])
    return rows
