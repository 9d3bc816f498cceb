"""Where a worker's CPU goes per prediction, in one process, without Kafka or Faust.

The batch path of ``streams.worker.Worker.handle`` on ``n`` predictions with 20 numeric
features, sent as the SDK sends them (JSON arrays of 500 events, as in ``bench ingest``)
and taken 10 messages at a time: decode and validation (``Ingestor.process`` and the rows
it shapes), the offset filter, the monitor (drift windows, label join, accuracy, CBPE,
``drift.burst``), and the raw-event insert into a throwaway chDB store (the JSON encoding in
Python and the engine's own work, which runs in this process as it does in the worker).

Prints the CPU microseconds per prediction of each stage (this process's CPU time, all
threads: the engine parses and writes in its own threads), then, with ``--profile``, the
functions that take the most time under cProfile (which slows Python code ~2x, not the
engine's). Run: ``python -m benchmarks.profile_worker [n] [--profile] [--top K]``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import shutil
import tempfile
import time
from typing import Any

import orjson

__all__ = ["stage_costs"]


def _messages(n: int, per_message: int = 500) -> list[tuple[str, int, int, bytes]]:
    from tripwire_sdk import names

    from benchmarks.pipeline import _features

    rng = random.Random(1)
    payloads = [_features(rng, 0.0 if i < 2048 else 0.5) for i in range(4096)]
    events = [{"type": "prediction", "schema": 1, "event_id": f"e{i}", "ts": 1.7e9 + i / 1000,
               "model": "bench-model", "model_version": "v1", "features": payloads[i % 4096],
               "prediction": i % 2, "score": 0.5, "service": "bench"} for i in range(n)]
    return [(names.PREDICTIONS, 0, k, orjson.dumps(events[b:b + per_message]))
            for k, b in enumerate(range(0, n, per_message))]


def stage_costs(n: int = 100_000, batch: int = 10, profile: cProfile.Profile | None = None,
                dsn: str | None = None, database: str | None = None) -> dict[str, Any]:
    """CPU microseconds per prediction by stage (see the module docstring). The rows go to a
    throwaway chDB store, or to ``dsn``/``database`` (chDB opens one path per process: a
    caller that has one open passes it)."""
    from sinks.clickhouse import ClickHouseStore, tables
    from streams.worker import Worker, tune_gc
    from tripwire.app import worker_config
    from tripwire.settings import Settings

    messages = _messages(n)
    folder = tempfile.mkdtemp(prefix="tripwire-profile-")
    try:
        store = ClickHouseStore(dsn or f"chdb://{folder}/db", database=database)
        store.migrate()
        worker = Worker(worker_config(Settings()))
        tune_gc()
        spent = dict.fromkeys(("decode", "admit", "monitor", "store"), 0.0)
        clock = time.process_time
        if profile is not None:
            profile.enable()
        for b in range(0, len(messages), batch):
            t0 = clock()
            result = worker.ingestor.process(messages[b:b + batch])
            rows = result.records()
            t1 = clock()
            fresh = worker._admitted(result)
            t2 = clock()
            worker.monitor.observe(fresh)
            worker.tracker.settle()
            t3 = clock()
            store.insert(tables.predictions.TABLE, rows[tables.predictions.TABLE])
            t4 = clock()
            for stage, took in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3), strict=True):
                spent[stage] += took
        if profile is not None:
            profile.disable()
        if dsn is None:  # ours; a caller's store stays open for the caller
            store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    out: dict[str, Any] = {k: round(v / n * 1e6, 2) for k, v in spent.items()}
    out["total"] = round(sum(spent.values()) / n * 1e6, 2)
    return {"predictions": n, "features": 20, "cpu_us_per_prediction": out}


def main(argv: list[str] | None = None) -> None:
    from tripwire.tiktoken_cache import ensure_tiktoken_cache

    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_worker")
    parser.add_argument("n", type=int, nargs="?", default=100_000)
    parser.add_argument("--profile", action="store_true", help="also run under cProfile")
    parser.add_argument("--top", type=int, default=30, help="functions listed (--profile)")
    args = parser.parse_args(argv)
    ensure_tiktoken_cache()
    print(orjson.dumps(stage_costs(args.n)).decode())
    if args.profile:
        profile = cProfile.Profile()
        stage_costs(args.n, profile=profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
