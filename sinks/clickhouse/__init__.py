"""ClickHouse store: schema migrations, idempotent batched writer, read queries."""

from sinks.clickhouse._migrations import MIGRATIONS, TABLES
from sinks.clickhouse._queries import ReadModel
from sinks.clickhouse._rows import (
    deadletter_row,
    golden_row,
    label_row,
    llm_row,
    load_profile,
    output_rows,
    prediction_row,
    reference_row,
)
from sinks.clickhouse._store import COLUMNS, ClickHouseStore, StoreError

__all__ = [
    "COLUMNS",
    "MIGRATIONS",
    "TABLES",
    "ClickHouseStore",
    "ReadModel",
    "StoreError",
    "deadletter_row",
    "golden_row",
    "label_row",
    "llm_row",
    "load_profile",
    "output_rows",
    "prediction_row",
    "reference_row",
]
