"""Write events straight into a store through the worker's own ingest and monitor code.

No broker involved: used to seed data for UI tests and screenshots, and by
``tripwire replay --store``. The rows are exactly what the worker would have written.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from tripwire_sdk.events import Limits

from sinks.clickhouse import ClickHouseStore, output_rows
from streams.ingest import Ingestor
from streams.monitor import Monitor

__all__ = ["seed_store"]



def seed_store(store: ClickHouseStore, events: Iterable[dict[str, Any]],
               monitor: Monitor | None = None, batch: int = 5000,
               store_text: bool | str = True) -> dict[str, int]:
    """Ingest ``events`` (schema v1 dicts) in batches; return counts written per table."""
    monitor = monitor or Monitor()
    ingestor = Ingestor(Limits(), enrich_llm=monitor.enrich_llm, store_text=store_text)
    counts: dict[str, int] = {}
    chunk: list[tuple[str, int, int, bytes]] = []
    for offset, event in enumerate(events):
        chunk.append(("seed", 0, offset, orjson.dumps(event)))
        if len(chunk) >= batch:
            _flush(store, ingestor, monitor, chunk, counts)
            chunk = []
    if chunk:
        _flush(store, ingestor, monitor, chunk, counts)
    return counts


def _flush(store: ClickHouseStore, ingestor: Ingestor, monitor: Monitor,
           chunk: list[tuple[str, int, int, bytes]], counts: dict[str, int]) -> None:
    result = ingestor.process(chunk)
    for table, rows in result.rows.items():
        counts[table] = counts.get(table, 0) + store.write_rows(table, rows)
    if result.deadletters:
        counts["deadletter"] = counts.get("deadletter", 0) + store.write_rows(
            "deadletter", result.deadletters)
    for table, records in output_rows(monitor.observe(result.events)).items():
        counts[table] = counts.get(table, 0) + store.write(table, records)
