"""Read queries behind the worker's ``/api/v1`` (the UI never opens the store itself).

Every query reads with ``FINAL`` so rows replaced by a replay are counted once. Parameters go
through clickhouse-connect's server-side binding (``{name:Type}``), never string formatting.
"""

from __future__ import annotations

from typing import Any

import orjson

from sinks._keys import record_key
from sinks.clickhouse._store import ClickHouseStore

__all__ = ["ReadModel"]


def _loads(text: str, default: Any) -> Any:
    try:
        return orjson.loads(text) if text else default
    except orjson.JSONDecodeError:
        return default


class ReadModel:
    """Named read queries over a :class:`ClickHouseStore`."""

    def __init__(self, store: ClickHouseStore) -> None:
        self.store = store

    def stats(self) -> dict[str, int]:
        """Distinct stored events per kind, and dead-lettered messages."""
        s = self.store
        return {"predictions": s.count("predictions"), "labels": s.count("labels"),
                "llm": s.count("llm_events"), "deadletter": s.count("deadletter")}

    def entities(self) -> dict[str, list[dict[str, Any]]]:
        """Models and apps seen, with event counts, last-seen time and open alerts."""
        models = self.store.query(
            "SELECT model AS name, count() AS events, max(ts) AS last_seen, "
            "countIf(ts >= (SELECT max(ts) FROM predictions FINAL) - 60) AS events_last_min, "
            "groupUniqArray(5)(model_version) AS versions "
            "FROM predictions FINAL GROUP BY model ORDER BY model")
        labels = {r["model"]: r["n"] for r in self.store.query(
            "SELECT model, count() AS n FROM labels FINAL GROUP BY model")}
        apps = self.store.query(
            "SELECT app AS name, count() AS events, max(ts) AS last_seen, "
            "countIf(ts >= (SELECT max(ts) FROM llm_events FINAL) - 60) AS events_last_min, "
            "groupUniqArray(5)(prompt_version) AS versions, sum(cost_usd) AS total_cost_usd "
            "FROM llm_events FINAL GROUP BY app ORDER BY app")
        open_by_entity: dict[str, int] = {}
        for alert in self.open_alerts():
            open_by_entity[alert["entity"]] = open_by_entity.get(alert["entity"], 0) + 1
        for m in models:
            m["labels"] = labels.get(m["name"], 0)
        for row in models + apps:
            row["open_alerts"] = open_by_entity.get(row["name"], 0)
            row["health"] = "firing" if row["open_alerts"] else "ok"
        return {"models": models, "apps": apps}

    def signals(self, entity: str, metric: str | None = None, dimension: str | None = None,
                limit: int = 5000, start: float | None = None, end: float | None = None,
                newest: bool = False) -> list[dict[str, Any]]:
        """Signals of one entity, oldest first (optionally one metric / dimension and an
        event-time range on ``window_end``). ``newest`` keeps the newest ``limit`` rows
        instead of the oldest (still returned oldest first)."""
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
        rows = self.store.query(
            "SELECT entity_type, entity, metric, dimension, value, threshold, n, window_start, "
            f"window_end, ts FROM signals FINAL WHERE {' AND '.join(where)} "
            f"ORDER BY window_end {order}, metric, dimension LIMIT {{limit:UInt32}}", params)
        return rows[::-1] if newest else rows

    def alerts(self, entity: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
        """Alert state changes, newest first."""
        rows = self.store.query(
            "SELECT * EXCEPT ingested_at FROM alerts FINAL "
            "WHERE ({entity:String} = '' OR entity = {entity:String}) "
            "ORDER BY ts DESC, alert_id LIMIT {limit:UInt32}",
            {"entity": entity or "", "limit": limit})
        for r in rows:
            r["evidence"] = _loads(r["evidence"], {})
            r["ref"] = record_key(r)  # matches ``refs`` of the deliveries that carried it
        return rows

    def open_alerts(self) -> list[dict[str, Any]]:
        """Alerts whose latest state is ``firing``."""
        return self.store.query(
            "SELECT alert_id, argMax(state, (ts, state = 'resolved')) AS state, "
            "any(entity) AS entity, any(metric) AS metric, any(dimension) AS dimension, "
            "any(severity) AS severity, max(ts) AS last_ts FROM alerts FINAL GROUP BY alert_id "
            "HAVING state = 'firing' ORDER BY last_ts DESC")

    def triggers(self, entity: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Triggers, newest first, with their evidence."""
        rows = self.store.query(
            "SELECT * EXCEPT ingested_at FROM triggers FINAL "
            "WHERE ({entity:String} = '' OR entity = {entity:String}) "
            "ORDER BY ts DESC LIMIT {limit:UInt32}", {"entity": entity or "", "limit": limit})
        for r in rows:
            r["evidence"] = _loads(r["evidence"], {})
            r["kind"] = "trigger"
            r["ref"] = record_key(r)
        return rows

    def deliveries(self, webhook_id: str | None = None, limit: int = 500,
                   entity: str | None = None) -> list[dict[str, Any]]:
        """Webhook delivery attempts (of one webhook id / entity, if given), newest first."""
        return self.store.query(
            "SELECT * EXCEPT ingested_at FROM webhook_deliveries FINAL "
            "WHERE ({wid:String} = '' OR webhook_id = {wid:String}) "
            "AND ({entity:String} = '' OR entity = {entity:String}) "
            "ORDER BY ts DESC LIMIT {limit:UInt32}",
            {"wid": webhook_id or "", "entity": entity or "", "limit": limit})

    def deadletter(self, limit: int = 100) -> list[dict[str, Any]]:
        """Most recent dead-lettered messages with their reasons."""
        return self.store.query(
            "SELECT id, ts, source_topic, partition, offset, reason, substring(original, 1, 2000)"
            " AS original FROM deadletter FINAL ORDER BY ts DESC LIMIT {limit:UInt32}",
            {"limit": limit})

    def llm_versions(self, app: str) -> list[dict[str, Any]]:
        """Per prompt version: volume, hallucination and negative-feedback rates, cost, latency,
        and the safety rates (responses with PII / secrets, refusals, prompts with injection
        markers)."""
        return self.store.query(
            "SELECT prompt_version, count() AS n, min(ts) AS first_seen, max(ts) AS last_seen, "
            "avg(hallucinated) AS hallucination_rate, avg(groundedness) AS mean_groundedness, "
            "countIf(feedback = -1) / greatest(countIf(feedback IS NOT NULL), 1) "
            "AS negative_feedback_rate, avg(cost_usd) AS cost_per_request, "
            "sum(cost_usd) AS total_cost_usd, quantile(0.5)(latency_ms) AS latency_p50, "
            "quantile(0.95)(latency_ms) AS latency_p95, avg(input_tokens) AS avg_input_tokens, "
            "avg(output_tokens) AS avg_output_tokens, avg(notEmpty(pii)) AS pii_rate, "
            "avg(notEmpty(secrets)) AS secret_rate, avg(refusal) AS refusal_rate, "
            "avg(injection) AS injection_rate FROM llm_events FINAL "
            "WHERE app = {app:String} GROUP BY prompt_version ORDER BY first_seen",
            {"app": app})

    def golden_runs(self, app: str, limit: int = 200) -> list[dict[str, Any]]:
        """Golden-set runs of an app, oldest first (the newest ``limit``), each with
        ``baseline``: the newest earlier passing run of another prompt version, or None."""
        rows = self.store.query(
            "SELECT * EXCEPT ingested_at FROM golden_runs FINAL WHERE app = {app:String} "
            "ORDER BY ts DESC LIMIT {limit:UInt32}", {"app": app, "limit": limit})[::-1]
        passed: list[dict[str, Any]] = []
        for r in rows:
            r["cases"] = _loads(r["cases"], [])
            r["failed_checks"] = _loads(r["failed_checks"], {})
            r["passed"] = bool(r["passed"])
            base = next((p for p in reversed(passed)
                         if p["prompt_version"] != r["prompt_version"]), None)
            r["baseline"] = None if base is None else {
                k: base[k] for k in ("run_id", "ts", "prompt_version", "llm_model", "pass_rate",
                                     "cost_usd", "latency_ms_p95", "groundedness_mean")}
            if r["passed"]:
                passed.append(r)
        return rows

    def llm_samples(self, app: str, limit: int = 20) -> list[dict[str, Any]]:
        """The least-grounded responses of an app, hallucinations first (refusals score low
        but make no claim); text only if it was stored."""
        rows = self.store.query(
            "SELECT event_id, ts, prompt_version, llm_model, groundedness, hallucinated, "
            "unsupported, reasons, substring(prompt, 1, 2000) AS prompt, "
            "substring(response, 1, 4000) AS response FROM llm_events FINAL "
            "WHERE app = {app:String} AND groundedness IS NOT NULL "
            "ORDER BY hallucinated DESC, groundedness ASC, ts DESC LIMIT {limit:UInt32}",
            {"app": app, "limit": limit})
        for r in rows:
            r["unsupported"] = _loads(r["unsupported"], [])
            r["reasons"] = _loads(r["reasons"], [])
        return rows

    def features(self, model: str, start: float, end: float,
                 limit: int = 20000) -> list[dict[str, Any]]:
        """Raw feature dicts (plus prediction) of a model in an event-time range."""
        rows = self.store.query(
            "SELECT features, prediction, ts FROM predictions FINAL WHERE model = {m:String} "
            "AND ts >= {s:Float64} AND ts < {e:Float64} ORDER BY ts LIMIT {limit:UInt32}",
            {"m": model, "s": start, "e": end, "limit": limit})
        out = []
        for r in rows:
            feats = _loads(r["features"], {})
            feats["__prediction__"] = _loads(r["prediction"], None)
            feats["__ts__"] = r["ts"]
            out.append(feats)
        return out
