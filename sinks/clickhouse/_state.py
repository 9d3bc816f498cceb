"""The ``entity_state`` table: this worker's copy of each entity's latest checkpoint.

The checkpoint topic is where state moves between workers; this copy is what survives a
restart of the embedded stack, whose in-memory broker forgets the topic. ``state`` holds the
checkpoint bytes (``streams.checkpoint`` encodes them) in base64; one row per entity
(ReplacingMergeTree: the newest write wins, read with ``FINAL``).
"""

from __future__ import annotations

import base64
from typing import Any

from sinks.clickhouse._store import ClickHouseStore

__all__ = ["entity_state_row", "load_entity_states"]

_LATEST = ("SELECT entity_type, entity, partition, ts, state FROM entity_state FINAL "
           "WHERE partition = {partition:UInt32}")


def entity_state_row(kind: str, entity: str, partition: int, ts: float,
                     state: bytes) -> dict[str, Any]:
    return {"entity_type": kind, "entity": entity, "partition": partition, "ts": ts,
            "state": base64.b64encode(state).decode()}


def load_entity_states(store: ClickHouseStore, partition: int) -> list[dict[str, Any]]:
    """The stored checkpoint of every entity last seen on ``partition`` (``state`` as bytes)."""
    rows = store.query(_LATEST, {"partition": partition})
    for row in rows:
        row["state"] = base64.b64decode(row["state"])
    return rows
