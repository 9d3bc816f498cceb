"""The ClickHouse store: migrations, idempotent batched writes, and the read queries.

One ``ClickHouseStore`` per process: a chDB session costs ~200 MB and chDB opens a data
directory from one process only. All calls are serialised by a lock, so agents (through
``run_in_executor``) and web handlers can share the instance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import clickhouse_connect
import orjson
from clickhouse_connect.driver.exceptions import DataError, ProgrammingError

from sinks.clickhouse._table import JSON_INPUT, Table

__all__ = ["ClickHouseStore", "StoreError"]

log = logging.getLogger("tripwire.store")

class StoreError(RuntimeError):
    """The store could not be opened or a write failed; the message names the DSN part.

    ``transient`` is False when the store rejected the data itself (a retry cannot help)."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


def _cell(table: Table, column: str, value: Any) -> Any:
    if value is None and column in table.defaults:
        return table.defaults[column]
    if column in table.json_columns and not isinstance(value, str):
        return orjson.dumps(value or {}, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    return value


class ClickHouseStore:
    """Batched, idempotent writer and reader over ``clickhouse-connect``.

    ``dsn`` is ``chdb:///abs/path`` (embedded engine) or ``http(s)://user:pass@host:port/db``.
    ``database`` (created when missing) isolates several stores in one chDB engine, which can
    open only one path per process.
    """

    def __init__(self, dsn: str, database: str | None = None) -> None:
        self.dsn = dsn
        self._lock = threading.Lock()
        if dsn.startswith("chdb://"):
            Path(dsn[len("chdb://"):]).mkdir(parents=True, exist_ok=True)
        try:
            if database:
                boot = clickhouse_connect.get_client(dsn=dsn)
                boot.command(f"CREATE DATABASE IF NOT EXISTS `{database}`")
                self._client = clickhouse_connect.get_client(dsn=dsn, database=database)
            else:
                self._client = clickhouse_connect.get_client(dsn=dsn)
        except Exception as exc:  # the driver raises many types; name the cause once
            raise StoreError(f"cannot open ClickHouse store {_safe(dsn)}: {exc}") from exc

    # -- schema ------------------------------------------------------------------------------
    def migrate(self) -> list[int]:
        """Apply pending migrations (``sinks.clickhouse.tables``) in order; return the
        versions applied now."""
        from sinks.clickhouse._migrations import gather
        from sinks.clickhouse.tables import ALL

        with self._lock:
            self._client.command(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, "
                "applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version")
            done = {r[0] for r in self._client.query(
                "SELECT version FROM schema_migrations").result_rows}
            applied = []
            for version, name, statements in gather(ALL):
                if version in done:
                    continue
                for sql in statements:
                    self._client.command(sql)
                self._client.insert("schema_migrations", [[version, name]],
                                    column_names=["version", "name"])
                log.info("applied store migration %d (%s)", version, name)
                applied.append(version)
            return applied

    # -- writes ------------------------------------------------------------------------------
    def insert(self, table: Table, records: Sequence[dict[str, Any]]) -> int:
        """Insert all ``records`` (dicts keyed by column) into ``table`` or raise
        :class:`StoreError`; idempotent by the table's key (see ``_table``)."""
        if not records:
            return 0
        started = time.perf_counter()
        try:
            with self._lock:
                if table.json_rows:
                    payload = orjson.dumps(records, option=orjson.OPT_NON_STR_KEYS)
                    self._client.raw_insert(table.name, list(table.columns), payload,
                                            settings=JSON_INPUT, fmt="JSONEachRow")
                else:
                    data = [[_cell(table, c, r.get(c)) for c in table.columns] for r in records]
                    self._client.insert(table.name, data, column_names=list(table.columns))
        except (DataError, ProgrammingError, TypeError, ValueError) as exc:
            raise StoreError(f"insert of {len(records)} rows into {table.name} rejected: "
                             f"{exc}", transient=False) from exc
        except Exception as exc:
            raise StoreError(f"insert of {len(records)} rows into {table.name} failed: "
                             f"{exc}") from exc
        log.debug("wrote %d rows to %s in %.1f ms", len(records), table.name,
                  (time.perf_counter() - started) * 1e3)
        return len(records)

    # -- reads -------------------------------------------------------------------------------
    def query(self, sql: str, parameters: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run a read query; rows as dicts."""
        with self._lock:
            result = self._client.query(sql, parameters=parameters or {})
        names = result.column_names
        return [dict(zip(names, row, strict=True)) for row in result.result_rows]

    def scalar(self, sql: str, parameters: dict[str, Any] | None = None) -> Any:
        """First column of the first row, or None."""
        rows = self.query(sql, parameters)
        return next(iter(rows[0].values())) if rows else None

    def count(self, table: Table) -> int:
        """Distinct rows of ``table`` (duplicates from replays collapse)."""
        return int(self.scalar(f"SELECT count() FROM {table.name} FINAL") or 0)

    def close(self) -> None:
        """Release the client (chDB flushes on close)."""
        with self._lock:
            try:
                self._client.close()
            except Exception:  # closing twice or a driver without close
                log.debug("store close raised", exc_info=True)


def _safe(dsn: str) -> str:
    if "@" in dsn and "://" in dsn:
        scheme, rest = dsn.split("://", 1)
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return dsn
