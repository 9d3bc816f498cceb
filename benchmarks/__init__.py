"""Repeatable measurements behind ``tripwire bench`` (each prints one JSON object)."""

from __future__ import annotations

from typing import Any

__all__ = ["run_bench"]


def run_bench(what: str, settings: Any = None, quick: bool = False) -> dict[str, Any]:
    """Run one benchmark (``ingest``, ``latency``, ``drift``, ``llm``, ``safety``) or ``all``;
    return its figures."""
    if what == "all":
        return {name: run_bench(name, settings, quick)
                for name in ("ingest", "latency", "drift", "llm", "safety")}
    if what == "latency":
        from benchmarks.latency import bench_latency
        return bench_latency(backlog=10_000 if quick else 40_000,
                             seconds=6.0 if quick else 20.0)
    if what == "safety":
        from benchmarks.safety import run as safety
        return safety(quick=quick)
    if what == "ingest":
        from benchmarks.monitor_cost import bench_monitor, bench_state
        from benchmarks.pipeline import bench_ingest
        result = bench_ingest(n=20_000 if quick else 200_000)
        result["monitor"] = bench_monitor(n=10_000 if quick else 50_000,
                                          repeats=1 if quick else 5)
        result["state"] = bench_state(n=10_000 if quick else 50_000)
        return result
    if what == "drift":
        from benchmarks.drift import run
        return run()
    if what == "llm":
        from benchmarks.llm_scoring import run as scoring
        from benchmarks.pipeline import bench_llm
        result = bench_llm(n=2_000 if quick else 20_000)
        result["scoring"] = scoring(n_events=200 if quick else 600)
        # CPU per response of the worker's groundedness scorer (RAG events, warm cache)
        result["groundedness_median_ms"] = result["scoring"]["groundedness_median_ms"]
        result["groundedness_p99_ms"] = result["scoring"]["groundedness_p99_ms"]
        return result
    raise ValueError(f"unknown benchmark {what!r}; choose ingest, drift, llm, safety or all")
