"""``webhook_deliveries``: every webhook delivery attempt (docs/contracts.md)."""

from __future__ import annotations

from typing import Any

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table

__all__ = ["TABLE", "attempts"]

TABLE = Table(
    name="webhook_deliveries",
    columns=("destination", "webhook_id", "kind", "entity", "attempt", "status", "ok",
             "latency_ms", "error", "ts", "refs"),
    migrations=(
        (3, "webhook deliveries, reference profiles", (
            f"""CREATE TABLE IF NOT EXISTS webhook_deliveries (
            destination LowCardinality(String), webhook_id String, kind LowCardinality(String),
            entity String, attempt UInt16, status Int32, ok UInt8, latency_ms Float64,
            error String, ts Float64, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY (webhook_id, destination, attempt, ts)""",)),
        (6, "delivery attempts name the alert state changes and triggers they carry", (
            "ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS refs Array(String) "
            "DEFAULT []",)),
    ),
    defaults={"error": "", "status": 0, "ok": 0, "latency_ms": 0.0, "entity": "", "kind": "",
              "attempt": 0, "refs": []},
)


def attempts(store: ClickHouseStore, webhook_id: str | None = None, limit: int = 500,
             entity: str | None = None) -> list[dict[str, Any]]:
    """Delivery attempts (of one webhook id / entity, if given), newest first."""
    return store.query(
        "SELECT * EXCEPT ingested_at FROM webhook_deliveries FINAL "
        "WHERE ({wid:String} = '' OR webhook_id = {wid:String}) "
        "AND ({entity:String} = '' OR entity = {entity:String}) "
        "ORDER BY ts DESC LIMIT {limit:UInt32}",
        {"wid": webhook_id or "", "entity": entity or "", "limit": limit})
