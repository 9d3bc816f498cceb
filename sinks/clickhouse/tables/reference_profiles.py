"""``reference_profiles``: each model version's reference profile, as encoded text (the
monitor encodes and decodes it; see ``streams.checkpoint.profile_text``)."""

from __future__ import annotations

from typing import Any

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table

__all__ = ["TABLE", "latest", "record"]

TABLE = Table(
    name="reference_profiles",
    columns=("model", "model_version", "source", "created_ts", "profile"),
    migrations=((3, "webhook deliveries, reference profiles", (
        f"""CREATE TABLE IF NOT EXISTS reference_profiles (
            model LowCardinality(String), model_version String, source String,
            created_ts Float64, profile String, ingested_at DateTime64(3) DEFAULT now64(3)
        ) {RMT} ORDER BY (model, model_version)""",)),),
    defaults={"source": ""},
)


def record(model: str, version: str, source: str, created_ts: float,
           profile_text: str) -> dict[str, Any]:
    return {"model": model, "model_version": version, "source": source,
            "created_ts": created_ts, "profile": profile_text}


def latest(store: ClickHouseStore) -> list[dict[str, Any]]:
    """The newest profile text of every (model, model_version)."""
    return store.query(
        "SELECT model, model_version, argMax(profile, created_ts) AS profile "
        "FROM reference_profiles FINAL GROUP BY model, model_version")
