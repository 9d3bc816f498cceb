"""``signals``: the monitor's metric time series (docs/contracts.md, Signal)."""

from __future__ import annotations

from typing import Any

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table

__all__ = ["TABLE", "series"]

TABLE = Table(
    name="signals",
    columns=("entity_type", "entity", "metric", "dimension", "value", "threshold", "n",
             "window_start", "window_end", "ts"),
    migrations=((2, "signals, alerts, triggers", (f"""CREATE TABLE IF NOT EXISTS signals (
            entity_type LowCardinality(String), entity LowCardinality(String),
            metric LowCardinality(String), dimension String, value Float64,
            threshold Nullable(Float64), n UInt64, window_start Float64, window_end Float64,
            ts Float64, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY (entity, metric, dimension, window_end)""",)),),
    defaults={"dimension": "", "n": 0, "entity_type": "", "entity": "", "window_start": 0.0,
              "window_end": 0.0},
)


def series(store: ClickHouseStore, entity: str, metric: str | None = None,
           dimension: str | None = None, limit: int = 5000, start: float | None = None,
           end: float | None = None, newest: bool = False) -> list[dict[str, Any]]:
    """Signals of one entity, oldest first (optionally one metric - ``*`` matches any run of
    characters - or dimension, and an event-time range on ``window_end``). ``newest`` keeps
    the newest ``limit`` rows instead of the oldest (still returned oldest first)."""
    where = ["entity = {entity:String}"]
    params: dict[str, Any] = {"entity": entity, "limit": limit}
    if start is not None:
        where.append("window_end >= {start:Float64}")
        params["start"] = start
    if end is not None:
        where.append("window_end < {end:Float64}")
        params["end"] = end
    if metric:
        where.append("metric LIKE {metric:String}")
        params["metric"] = metric.replace("*", "%")
    if dimension is not None:
        where.append("dimension = {dimension:String}")
        params["dimension"] = dimension
    order = "DESC" if newest else "ASC"
    rows = store.query(
        "SELECT entity_type, entity, metric, dimension, value, threshold, n, window_start, "
        f"window_end, ts FROM signals FINAL WHERE {' AND '.join(where)} "
        f"ORDER BY window_end {order}, metric, dimension LIMIT {{limit:UInt32}}", params)
    return rows[::-1] if newest else rows
