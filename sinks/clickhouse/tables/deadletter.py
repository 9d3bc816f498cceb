"""``deadletter``: messages (or array elements) that failed validation, with the reason."""

from __future__ import annotations

from typing import Any

from tripwire_sdk import records

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table

__all__ = ["TABLE", "latest", "record"]

TABLE = Table(
    name="deadletter",
    columns=("id", "ts", "source_topic", "partition", "offset", "reason", "original"),
    migrations=((1, "raw events, deadletter", (f"""CREATE TABLE IF NOT EXISTS deadletter (
            id String, ts Float64, source_topic LowCardinality(String), partition Int32,
            offset Int64, reason String, original String,
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY id""",)),),
)


def record(topic: str, partition: int, offset: int, index: int, reason: str,
           original: bytes, ts: float) -> dict[str, Any]:
    """The row of one dead letter: the ``DeadLetter`` record itself (its id,
    topic:partition:offset:index, makes a replayed message replace, not add)."""
    return dict(records.dead_letter(topic, partition, offset, index, reason, original, ts))


def latest(store: ClickHouseStore, limit: int) -> list[dict[str, Any]]:
    """Most recent dead letters with their reasons."""
    return store.query(
        "SELECT id, ts, source_topic, partition, offset, reason, substring(original, 1, 2000)"
        " AS original FROM deadletter FINAL ORDER BY ts DESC LIMIT {limit:UInt32}",
        {"limit": limit})
