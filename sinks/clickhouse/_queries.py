"""Read queries behind the worker's ``/api/v1`` (the UI never opens the store itself).

A facade over the table modules, which own the SQL. Every query reads with ``FINAL`` so rows
replaced by a replay are counted once; parameters go through clickhouse-connect's server-side
binding (``{name:Type}``), never string formatting.
"""

from __future__ import annotations

from typing import Any

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse.tables import (
    alerts,
    deadletter,
    golden_runs,
    labels,
    llm_events,
    predictions,
    signals,
    triggers,
    webhook_deliveries,
)

__all__ = ["ReadModel"]


class ReadModel:
    """Named read queries over a :class:`ClickHouseStore`."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store

    def stats(self) -> dict[str, int]:
        """Distinct stored events per kind, and dead-lettered messages."""
        s = self.store
        return {"predictions": s.count(predictions.TABLE), "labels": s.count(labels.TABLE),
                "llm": s.count(llm_events.TABLE), "deadletter": s.count(deadletter.TABLE)}

    def entities(self) -> dict[str, list[dict[str, Any]]]:
        """Models and apps seen, with event counts, last-seen time and open alerts."""
        models = predictions.model_summaries(self.store)
        counts = labels.counts_by_model(self.store)
        apps = llm_events.app_summaries(self.store)
        open_by_entity: dict[str, int] = {}
        for alert in self.open_alerts():
            open_by_entity[alert["entity"]] = open_by_entity.get(alert["entity"], 0) + 1
        for m in models:
            m["labels"] = counts.get(m["name"], 0)
        for row in models + apps:
            row["open_alerts"] = open_by_entity.get(row["name"], 0)
            row["health"] = "firing" if row["open_alerts"] else "ok"
        return {"models": models, "apps": apps}

    def signals(self, entity: str, metric: str | None = None, dimension: str | None = None,
                limit: int = 5000, start: float | None = None, end: float | None = None,
                newest: bool = False) -> list[dict[str, Any]]:
        return signals.series(self.store, entity, metric, dimension, limit, start, end, newest)

    def alerts(self, entity: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        return alerts.changes(self.store, entity, limit)

    def open_alerts(self) -> list[dict[str, Any]]:
        return alerts.open_alerts(self.store)

    def triggers(self, entity: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        return triggers.latest(self.store, entity, limit)

    def deliveries(self, webhook_id: str | None = None, limit: int = 500,
                   entity: str | None = None) -> list[dict[str, Any]]:
        return webhook_deliveries.attempts(self.store, webhook_id, limit, entity)

    def deadletter(self, limit: int = 100) -> list[dict[str, Any]]:
        return deadletter.latest(self.store, limit)

    def llm_versions(self, app: str) -> list[dict[str, Any]]:
        return llm_events.versions(self.store, app)

    def golden_runs(self, app: str, limit: int = 200) -> list[dict[str, Any]]:
        return golden_runs.runs(self.store, app, limit)

    def llm_samples(self, app: str, limit: int = 20) -> list[dict[str, Any]]:
        return llm_events.samples(self.store, app, limit)

    def features(self, model: str, start: float, end: float,
                 limit: int = 20000) -> list[dict[str, Any]]:
        """Raw feature dicts (plus the prediction and ``__ts__``) of a model in a time range."""
        return predictions.features(self.store, model, start, end, limit)
