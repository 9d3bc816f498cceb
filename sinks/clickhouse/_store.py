"""The ClickHouse store: migrations, idempotent batched writes, and the read queries.

One ``ClickHouseStore`` per process: a chDB session costs ~200 MB and chDB opens a data
directory from one process only. All calls are serialised by a lock, so agents (through
``run_in_executor``) and web handlers can share the instance.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import clickhouse_connect
import orjson
from clickhouse_connect.driver.exceptions import DataError, ProgrammingError

from sinks.clickhouse._migrations import MIGRATIONS

__all__ = ["ClickHouseStore", "StoreError", "COLUMNS"]

log = logging.getLogger("tripwire.store")

COLUMNS: dict[str, tuple[str, ...]] = {
    "predictions": ("event_id", "ts", "model", "model_version", "prediction_id", "prediction",
                    "score", "features", "service", "latency_ms"),
    "labels": ("event_id", "ts", "model", "prediction_id", "label", "service"),
    "llm_events": ("event_id", "ts", "app", "prompt_version", "llm_model", "user", "prompt",
                   "response", "context", "input_tokens", "output_tokens", "token_source",
                   "cost_usd", "price_source", "latency_ms", "feedback", "groundedness",
                   "hallucinated", "unsupported", "service", "pii", "secrets", "refusal",
                   "injection", "reasons"),
    "deadletter": ("id", "ts", "source_topic", "partition", "offset", "reason", "original"),
    "signals": ("entity_type", "entity", "metric", "dimension", "value", "threshold", "n",
                "window_start", "window_end", "ts"),
    "alerts": ("alert_id", "state", "entity_type", "entity", "metric", "dimension", "severity",
               "ts", "value", "threshold", "window_start", "window_end", "evidence"),
    "triggers": ("trigger_id", "type", "entity_type", "entity", "ts", "reason", "evidence",
                 "from_version", "to_version"),
    "webhook_deliveries": ("destination", "webhook_id", "kind", "entity", "attempt", "status",
                           "ok", "latency_ms", "error", "ts", "refs"),
    "reference_profiles": ("model", "model_version", "source", "created_ts", "profile"),
    "entity_state": ("entity_type", "entity", "partition", "ts", "state"),
    "llm_judgements": ("event_id", "ts", "app", "prompt_version", "grounded", "score", "reason",
                       "cost_usd", "latency_ms", "model"),
    "golden_runs": ("run_id", "ts", "app", "prompt_version", "llm_model", "passed", "n_cases",
                    "n_passed", "pass_rate", "min_pass_rate", "cost_usd", "latency_ms_p50",
                    "latency_ms_p95", "groundedness_mean", "failed_checks", "cases"),
}
_JSON_COLUMNS = {"evidence"}
# Values for non-Nullable columns when a record does not carry them.
_DEFAULTS: dict[str, Any] = {"dimension": "", "from_version": "", "to_version": "", "n": 0,
                             "reason": [], "severity": "warning", "entity_type": "",
                             "error": "", "status": 0, "ok": 0, "latency_ms": 0.0,
                             "window_start": 0.0, "window_end": 0.0, "entity": "",
                             "source": "", "kind": "", "attempt": 0, "refs": []}


class StoreError(RuntimeError):
    """The store could not be opened or a write failed; the message names the DSN part.

    ``transient`` is False when the store rejected the data itself (a retry cannot help)."""

    def __init__(self, message: str, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


def _cell(column: str, value: Any) -> Any:
    if value is None and column in _DEFAULTS:
        return _DEFAULTS[column]
    if column in _JSON_COLUMNS and not isinstance(value, str):
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
        """Apply pending migrations in order; return the versions applied now."""
        with self._lock:
            self._client.command(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, name String, "
                "applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version")
            done = {r[0] for r in self._client.query(
                "SELECT version FROM schema_migrations").result_rows}
            applied = []
            for version, name, statements in MIGRATIONS:
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
    def write(self, table: str, rows: Sequence[dict[str, Any]]) -> int:
        """Insert all ``rows`` into ``table`` or raise :class:`StoreError`. Idempotent by key."""
        if not rows:
            return 0
        columns = COLUMNS[table]
        data = [[_cell(c, row.get(c)) for c in columns] for row in rows]
        return self.write_rows(table, data)

    def write_rows(self, table: str, data: list[list[Any]]) -> int:
        """Insert rows already in ``COLUMNS[table]`` order (the hot ingest path)."""
        if not data:
            return 0
        started = time.perf_counter()
        try:
            with self._lock:
                self._client.insert(table, data, column_names=list(COLUMNS[table]))
        except (DataError, ProgrammingError, TypeError, ValueError) as exc:
            raise StoreError(f"insert of {len(data)} rows into {table} rejected: {exc}",
                             transient=False) from exc
        except Exception as exc:
            raise StoreError(f"insert of {len(data)} rows into {table} failed: {exc}") from exc
        log.debug("wrote %d rows to %s in %.1f ms", len(data), table,
                  (time.perf_counter() - started) * 1e3)
        return len(data)

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

    def count(self, table: str) -> int:
        """Distinct rows of ``table`` (duplicates from replays collapse)."""
        return int(self.scalar(f"SELECT count() FROM {table} FINAL") or 0)

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


def as_json(value: Iterable[Any] | dict[str, Any] | Any) -> str:
    """Compact JSON text for String columns."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
