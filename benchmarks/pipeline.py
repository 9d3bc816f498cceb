"""End-to-end pipeline benchmarks: SDK → broker → one worker → ClickHouse, measured in one run.

``ingest``: predictions with 20 numeric features (drift windows, label join and accuracy on,
as in production): ``sdk_emit_p50_us`` / ``sdk_emit_p99_us`` (one ``Emitter.prediction`` call
with the broker connected), ``ingest_events_per_s`` (first send → last event stored, one
worker), and ``raw_consume_events_per_s`` (plain aiokafka consume + JSON decode of the same
messages: the ceiling of any Python Kafka consumer on this machine, measured in the same run).
The SDK's sending thread, the broker and the worker share this machine's cores during that
measurement: ``ingest_cpu_us_per_event_by_process`` gives each one's CPU per event over it
(``sdk``: this process, the timed calls and the sending thread) and ``ingest_cores_busy``
their sum over the wall time, so the sum per event bounds the rate the cores allow;
``worker_drain_events_per_s`` and ``worker_cpu_us_per_event`` isolate the worker:
a second batch of the same size is produced while the worker is paused (SIGSTOP), then timed
from SIGCONT until the worker has stored all of it, with the worker's CPU time (/proc) over
that span; ``..._by_stage`` splits that CPU: the batch stages the worker itself counts
(decode and validation, offset filter, monitor, and ``store``: the insert calls' threads),
then by thread (/proc/<pid>/task) what is left on the main thread, on the other Python
threads, and in the store engine's own native threads (chDB runs in the worker's process).

``llm``: LLM events without provider usage (tokens from tiktoken), with groundedness scoring
and cost on: ``llm_events_per_s`` per worker, end to end, and the same drain figures
(``llm_worker_drain_events_per_s``, ``llm_worker_cpu_us_per_event``). Contexts are retrieved
chunks of a 2,000-chunk knowledge base (as in RAG), so the per-document caches warm up; the scoring
benchmark (``benchmarks.llm_scoring``, reported under ``scoring``) also gives the cold-cache
and all-unique-context figures.

Each run uses a fresh embedded broker, data directory and worker process, on loopback.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import yaml
from tripwire_sdk import names

from benchmarks.sdk_emit import time_calls
from tripwire.settings import load_settings
from tripwire.stack import Stack, api_get

__all__ = ["bench_ingest", "bench_llm"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Run:
    """A throwaway stack (broker + one worker, no UI) in a temporary directory; ``config``
    (a tripwire.yaml as a dict) is what the worker reads."""

    def __init__(self, config: dict[str, Any] | None = None) -> None:
        self.config = config

    def __enter__(self) -> _Run:
        self.tmp = Path(tempfile.mkdtemp(prefix="tripwire-bench-"))
        before = os.environ.get("TRIPWIRE_CONFIG")
        if self.config is not None:
            path = self.tmp / "tripwire.yaml"
            path.write_text(yaml.safe_dump(self.config))
            os.environ["TRIPWIRE_CONFIG"] = str(path)
        try:
            self.settings = load_settings(
                data_dir=self.tmp, embedded_kafka_port=_free_port(), api_port=_free_port(),
                ui_port=_free_port(), kafka_bootstrap=None, clickhouse_dsn=None)
            self.stack = Stack(self.settings, with_ui=False, echo=lambda line: None)
            self.stack.start()
        finally:
            if self.config is not None:
                if before is None:
                    os.environ.pop("TRIPWIRE_CONFIG", None)
                else:
                    os.environ["TRIPWIRE_CONFIG"] = before
        return self

    def stats(self) -> dict[str, int]:
        return api_get(self.settings, "stats", timeout=10)  # type: ignore[return-value]

    def wait_stored(self, key: str, n: int, timeout: float) -> float:
        """Seconds until ``stats[key] >= n`` (polled every 0.2 s)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.stats()[key] >= n:
                    return time.monotonic()
            except OSError:  # a slow answer on a busy host (TimeoutError too): ask again
                pass
            time.sleep(0.2)
        raise TimeoutError(f"only {self.stats()[key]} of {n} {key} stored in {timeout:.0f}s; "
                           f"see {self.tmp}/logs/worker.log")

    def __exit__(self, *exc: object) -> None:
        self.stack.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _worker_cpu_s(self) -> float:
        return _cpu_s(self.stack.children["worker"].pid)

    def cpu_by_process(self) -> dict[str, float]:
        """CPU seconds so far of each process sharing the machine in an end-to-end run: this
        one (the SDK's calls and its sending thread), the embedded broker, the worker."""
        out = {"sdk": _cpu_s(os.getpid())}
        broker = self.stack.broker.process if self.stack.broker else None
        if broker is not None:
            out["broker"] = _cpu_s(broker.pid)
        out["worker"] = self._worker_cpu_s()
        return out

    def _thread_cpu_s(self) -> dict[str, float]:
        """The worker's CPU seconds by thread group: its main thread (the event loop, where
        the batch stages run), its other Python threads (the Kafka client's thread, the
        store's insert threads) and the threads the store engine starts itself (chDB's
        native pools, named by chDB: ``ThreadPool``, ``BgSchPool``, ...)."""
        pid = self.stack.children["worker"].pid
        out = {"main": 0.0, "python": 0.0, "native": 0.0}
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/comm") as f:
                    name = f.read().strip()
                spent = _cpu_s(f"{pid}/task/{tid}")
            except OSError:  # the thread ended meanwhile; its time is in no group
                continue
            group = "main" if tid == str(pid) else (
                "python" if name.startswith(("python", "tripwire")) else "native")
            out[group] += spent
        return out

    def worker_rss_mb(self) -> dict[str, float]:
        """The worker's resident memory now and at its peak (VmRSS, VmHWM), in MB."""
        pid = self.stack.children["worker"].pid
        with open(f"/proc/{pid}/status") as f:
            kb = {k: int(v.split()[0]) for k, _, v in (line.partition(":") for line in f)
                  if k in ("VmRSS", "VmHWM")}
        return {"worker_rss_mb": round(kb["VmRSS"] / 1024, 1),
                "worker_peak_rss_mb": round(kb["VmHWM"] / 1024, 1)}

    def drain(self, produce: Callable[[], None], key: str, n: int,
              timeout: float) -> tuple[float, float]:  # fmt: skip
        """Pause the worker, ``produce()`` n more events (flushed), resume it and time until
        ``stats[key]`` grew by n. Returns (events/s, worker CPU microseconds per event); the
        worker's own CPU split by stage over the same span is left in ``self.breakdown``."""
        pgid = self.stack.children["worker"].pid
        base = self.stats()[key]
        before = api_get(self.settings, "state", timeout=10)["cpu_seconds"]
        os.killpg(pgid, signal.SIGSTOP)
        try:
            produce()
        finally:
            cpu, threads = self._worker_cpu_s(), self._thread_cpu_s()
            started = time.monotonic()
            os.killpg(pgid, signal.SIGCONT)
        done = self.wait_stored(key, base + n, timeout)
        total = self._worker_cpu_s() - cpu
        spent = {k: (v - threads[k]) / n * 1e6 for k, v in self._thread_cpu_s().items()}
        after = api_get(self.settings, "state", timeout=10)["cpu_seconds"]
        stages = {k: (after[k] - before[k]) / n * 1e6 for k in after if k != "process"}
        batch = sum(stages[k] for k in stages if k != "store")  # the main thread's stages
        stages["main thread, rest (Faust, asyncio, publishing outputs, GC)"] = \
            spent["main"] - batch
        stages["other Python threads (Kafka client, read-API queries)"] = \
            spent["python"] - stages["store"]
        stages["store engine threads (chDB native: parts, merges, queries)"] = spent["native"]
        self.breakdown = {k: round(v, 1) for k, v in stages.items()}
        return n / (done - started), total / n * 1e6


def _cpu_s(task: int | str) -> float:
    """User + system CPU seconds of a process (all its threads) or, given ``<pid>/task/<tid>``,
    of one thread (``/proc/<task>/stat``)."""
    with open(f"/proc/{task}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _features(rng: random.Random, shift: float) -> dict[str, float]:
    return {f"f{j:02d}": round(rng.gauss(shift if j < 5 else 0.0, 1.0), 4) for j in range(20)}


def _pct(laps: list[int], q: float) -> float:
    ordered = sorted(laps)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1000, 2)


def _pct_ms(seconds: list[float], q: float) -> float | None:
    """Quantile ``q`` of durations in seconds, as milliseconds (None without any)."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def bench_ingest(n: int = 200_000, timeout: float = 600) -> dict[str, Any]:
    """Predictions through the whole pipeline; see the module docstring for the keys."""
    from tripwire_sdk import Emitter

    rng = random.Random(1)
    payloads = [_features(rng, 0.0 if i < n // 2 else 0.5) for i in range(4096)]
    t0 = time.time() - n / 1000
    with _Run() as run:
        emitter = Emitter(bootstrap=run.settings.bootstrap, service="bench", max_queue=n + 10,
                          flush_at_exit=False)
        for i in range(2000):  # warm up the connection; not timed, not counted
            emitter.prediction("warmup", payloads[i % 4096], 0, event_id=f"w{i}")
        emitter.flush(30)
        cpu_before = run.cpu_by_process()
        started = time.monotonic()
        laps = time_calls(lambda i: emitter.prediction(
            "bench-model", payloads[i % 4096], i % 2, score=0.5, model_version="v1",
            event_id=f"e{i}", ts=t0 + i / 1000), n)
        emitter.flush(120)
        done = run.wait_stored("predictions", n + 2000, timeout)
        by_process = {k: v - cpu_before[k] for k, v in run.cpu_by_process().items()}
        sent = emitter.stats
        raw = asyncio.run(_raw_consume(run.settings.bootstrap, names.PREDICTIONS))

        def produce() -> None:
            for i in range(n):
                emitter.prediction("bench-model", payloads[i % 4096], i % 2, score=0.5,
                                   model_version="v1", event_id=f"d{i}", ts=t0 + (n + i) / 1000)
            emitter.flush(120)

        drain, cpu_us = run.drain(produce, "predictions", n, timeout)
        breakdown = run.breakdown
        memory = run.worker_rss_mb()
        emitter.close()
    return {**memory, "events": n, "features": 20, "sdk_emit_p50_us": _pct(laps, 0.50),
            "sdk_emit_p99_us": _pct(laps, 0.99), "sdk_emit_max_us": _pct(laps, 1.0),
            "ingest_events_per_s": round(n / (done - started)),
            "ingest_cpu_us_per_event_by_process": {k: round(v / n * 1e6, 1)
                                                   for k, v in by_process.items()},
            "ingest_cores_busy": round(sum(by_process.values()) / (done - started), 2),
            "raw_consume_events_per_s": round(raw), "sdk_sent": sent["sent"],
            "sdk_dropped": sent["dropped"], "worker_drain_events_per_s": round(drain),
            "worker_cpu_us_per_event": round(cpu_us, 1),
            "worker_cpu_us_per_event_by_stage": breakdown}


async def _raw_consume(bootstrap: str, topic: str) -> float:
    """Events/s of a plain aiokafka consumer decoding every message's JSON array."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p)
                      for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        end = await consumer.end_offsets(partitions)
        events, started = 0, time.perf_counter()
        while True:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(pos >= end[tp] for pos, tp in zip(positions, partitions, strict=True)):
                break
            batches = await consumer.getmany(timeout_ms=1000, max_records=1000)
            for records in batches.values():
                for record in records:
                    value = orjson.loads(record.value)
                    events += len(value) if isinstance(value, list) else 1
        return events / (time.perf_counter() - started)
    finally:
        await consumer.stop()


def bench_llm(n: int = 20_000, timeout: float = 900) -> dict[str, Any]:
    """LLM events (groundedness and cost on) through the pipeline: first without provider
    usage (the worker counts tokens with tiktoken), then the same kind of events carrying
    usage, as providers report it (``llm_events_per_s_with_usage``)."""
    from tripwire_sdk import Emitter

    from benchmarks.llm_scoring import make_events

    events = make_events(n, 7)
    for e in events:  # what a provider would report (~4 characters a token), for the 2nd pass
        e["usage"] = {"input_tokens": (len(e["prompt"]) + sum(map(len, e["context"]))) // 4,
                      "output_tokens": len(e["response"]) // 4}
    with _Run() as run:
        emitter = Emitter(bootstrap=run.settings.bootstrap, service="bench",
                          max_queue=n + 10, flush_at_exit=False)  # fmt: skip

        def produce(prefix: str, offset: int, usage: bool = False) -> None:
            for i, e in enumerate(events):
                emitter.llm(e.get("app", "bench-app"), e.get("prompt_version", "v1"),
                            e["llm_model"], e["prompt"], e["response"], context=e["context"],
                            usage=e["usage"] if usage else None, event_id=f"{prefix}{i}",
                            ts=1_767_225_600.0 + (offset + i) / 100)  # fmt: skip
            emitter.flush(120)

        started = time.monotonic()
        produce("llm", 0)
        done = run.wait_stored("llm", n, timeout)
        drain, cpu_us = run.drain(lambda: produce("drain", n), "llm", n, timeout)
        breakdown = run.breakdown
        started_usage = time.monotonic()
        produce("usage", 2 * n, usage=True)
        done_usage = run.wait_stored("llm", 3 * n, timeout)
        emitter.close()
    return {"llm_events": n, "llm_events_per_s": round(n / (done - started)),
            "llm_events_per_s_with_usage": round(n / (done_usage - started_usage)),
            "llm_worker_drain_events_per_s": round(drain),
            "llm_worker_cpu_us_per_event": round(cpu_us, 1),
            "llm_worker_cpu_us_per_event_by_stage": breakdown,
            "groundedness": True, "cost": True,
            "contexts": "5 chunks per event from a 2,000-chunk pool, Zipf popularity "
                        "(benchmarks.llm_scoring.make_events)"}
