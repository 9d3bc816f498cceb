"""``golden_runs``: golden-set gate results (``tripwire golden run``), one row per run."""

from __future__ import annotations

from typing import Any

from sinks.clickhouse._store import ClickHouseStore
from sinks.clickhouse._table import RMT, Table, from_json, json_text

__all__ = ["TABLE", "record", "runs"]

TABLE = Table(
    name="golden_runs",
    columns=("run_id", "ts", "app", "prompt_version", "llm_model", "passed", "n_cases",
             "n_passed", "pass_rate", "min_pass_rate", "cost_usd", "latency_ms_p50",
             "latency_ms_p95", "groundedness_mean", "failed_checks", "cases"),
    migrations=((8, "prediction latency, LLM safety flags, golden-set runs", (
        f"""CREATE TABLE IF NOT EXISTS golden_runs (
        run_id String, ts Float64, app LowCardinality(String), prompt_version String,
        llm_model LowCardinality(String), passed UInt8, n_cases UInt32, n_passed UInt32,
        pass_rate Float64, min_pass_rate Float64, cost_usd Float64,
        latency_ms_p50 Nullable(Float64), latency_ms_p95 Nullable(Float64),
        groundedness_mean Nullable(Float64), failed_checks String, cases String,
        ingested_at DateTime64(3) DEFAULT now64(3)
    ) {RMT} ORDER BY (app, run_id)""",)),),
)


def record(run: dict[str, Any]) -> dict[str, Any]:
    """The row of a ``golden`` record: cases and failed-check counts as JSON text."""
    row = dict(run)
    row["passed"] = int(bool(run.get("passed")))
    row["cases"] = json_text(run.get("cases") or [])
    row["failed_checks"] = json_text(run.get("failed_checks") or {})
    return row


def runs(store: ClickHouseStore, app: str, limit: int = 200) -> list[dict[str, Any]]:
    """Golden-set runs of an app, oldest first (the newest ``limit``), each with
    ``baseline``: the newest earlier passing run of another prompt version, or None."""
    rows = store.query(
        "SELECT * EXCEPT ingested_at FROM golden_runs FINAL WHERE app = {app:String} "
        "ORDER BY ts DESC LIMIT {limit:UInt32}", {"app": app, "limit": limit})[::-1]
    passed: list[dict[str, Any]] = []
    for r in rows:
        r["cases"] = from_json(r["cases"], [])
        r["failed_checks"] = from_json(r["failed_checks"], {})
        r["passed"] = bool(r["passed"])
        base = next((p for p in reversed(passed)
                     if p["prompt_version"] != r["prompt_version"]), None)
        r["baseline"] = None if base is None else {
            k: base[k] for k in ("run_id", "ts", "prompt_version", "llm_model", "pass_rate",
                                 "cost_usd", "latency_ms_p95", "groundedness_mean")}
        if r["passed"]:
            passed.append(r)
    return rows
