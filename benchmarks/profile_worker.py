"""Where a worker's CPU goes per prediction, in one process, without Kafka or Faust.

``streams.worker.Worker.handle`` itself on ``n`` predictions with 20 numeric features, sent
as the SDK sends them (JSON arrays of 500 events, as in ``bench ingest``) and taken 10
messages at a time, storing into a throwaway chDB store: decode and validation, the offset
filter, the monitor (drift windows, label join, accuracy, CBPE, ``drift.burst``) and the
store inserts, by the worker's own per-stage counters (the same ones ``bench ingest``
reports), plus the rest of the process's CPU (chDB's own threads, GC).

Prints the CPU microseconds per prediction of each stage, then, with ``--profile``, the
functions that take the most time under cProfile (which slows Python code ~2x, not the
engine's). Run: ``python -m benchmarks.profile_worker [n] [--profile] [--top K]``.
"""

from __future__ import annotations

import argparse
import asyncio
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
    """CPU microseconds per prediction by stage (see the module docstring), as the worker
    counts them itself (``Worker.cpu_seconds``) while ``Worker.handle`` takes the batches;
    ``engine and rest`` is the process's other CPU time over the same span (chDB's own
    threads, GC). The rows go to a throwaway chDB store, or to ``dsn``/``database`` (chDB
    opens one path per process: a caller that has one open passes it)."""
    from sinks.clickhouse import ClickHouseStore
    from streams.worker import Worker, tune_gc
    from tripwire.app import worker_config
    from tripwire.settings import Settings

    messages = _messages(n)
    folder = tempfile.mkdtemp(prefix="tripwire-profile-")
    try:
        store = ClickHouseStore(dsn or f"chdb://{folder}/db", database=database)
        store.migrate()
        worker = Worker(worker_config(Settings()))
        worker.use_store(store)
        worker.ready.set()
        tune_gc()

        async def run() -> None:
            for b in range(0, len(messages), batch):
                await worker.handle(messages[b:b + batch])

        started = time.process_time()
        if profile is not None:
            profile.enable()
        asyncio.run(run())
        if profile is not None:
            profile.disable()
        total = time.process_time() - started
        if dsn is None:  # ours; a caller's store stays open for the caller
            store.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    spent = worker.cpu_seconds()
    stages = {"decode": spent["decode_enrich"], "admit": spent["admit"],
              "monitor": spent["monitor"], "store": spent["store"]}
    stages["engine and rest"] = total - sum(stages.values())
    out: dict[str, Any] = {k: round(v / n * 1e6, 2) for k, v in stages.items()}
    out["total"] = round(total / n * 1e6, 2)
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
