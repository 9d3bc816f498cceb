"""ClickHouse store: one module per table (``tables``), the store (migrations, inserts, reads),
the sink the worker writes through, and the read model behind the API."""

from sinks.clickhouse import tables
from sinks.clickhouse._queries import ReadModel
from sinks.clickhouse._sink import Backoff, ClickHouseSink
from sinks.clickhouse._store import ClickHouseStore, StoreError
from sinks.clickhouse._table import Table

__all__ = ["Backoff", "ClickHouseSink", "ClickHouseStore", "ReadModel", "StoreError", "Table",
           "tables"]
