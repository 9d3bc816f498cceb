"""``triggers``: retrain / prompt_rollback commands (docs/contracts.md, Trigger)."""

from __future__ import annotations

from typing import Any

from sinks._keys import record_key
from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table, from_json

__all__ = ["TABLE", "latest"]

TABLE = Table(
    name="triggers",
    columns=("trigger_id", "type", "entity_type", "entity", "ts", "reason", "evidence",
             "from_version", "to_version"),
    migrations=((2, "signals, alerts, triggers", (f"""CREATE TABLE IF NOT EXISTS triggers (
            trigger_id String, type LowCardinality(String), entity_type LowCardinality(String),
            entity LowCardinality(String), ts Float64, reason Array(String), evidence String,
            from_version String DEFAULT '', to_version String DEFAULT '',
            ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY trigger_id""",)),),
    json_columns=frozenset({"evidence"}),
    defaults={"from_version": "", "to_version": "", "reason": [], "entity_type": "",
              "entity": ""},
)


def latest(store: ClickHouseStore, entity: str | None = None,
           limit: int = 200) -> list[dict[str, Any]]:
    """Triggers, newest first, with their evidence and ``ref``."""
    rows = store.query(
        "SELECT * EXCEPT ingested_at FROM triggers FINAL "
        "WHERE ({entity:String} = '' OR entity = {entity:String}) "
        "ORDER BY ts DESC LIMIT {limit:UInt32}", {"entity": entity or "", "limit": limit})
    for r in rows:
        r["evidence"] = from_json(r["evidence"], {})
        r["kind"] = "trigger"
        r["ref"] = record_key(r)
    return rows
