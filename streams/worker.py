"""One worker process's state: store, ingestor, monitor, judge — and what a batch goes through.

A batch's raw events are written to the store (in threads) while the monitor works on them;
the batch is acknowledged only after everything is stored. Monitor outputs go to their topics
first and the store second. The monitor's state is checkpointed per entity and follows the
entity's partition to whichever worker owns it (``streams.checkpoint``); an event the entity's
state already holds (a redelivery) is stored again, idempotently, but never re-counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import faust
import orjson
from tripwire_sdk import names

from sinks.clickhouse import ClickHouseSink, ClickHouseStore, ReadModel, Table, tables
from streams.checkpoint import Checkpointer, KafkaSide, OffsetTracker, profile_from_text
from streams.config import JudgeConfig, WorkerConfig
from streams.ingest import Ingestor, IngestResult, Message
from streams.monitor import Monitor, entity_key
from streams.outputs import stored
from streams.reference import build_profile

__all__ = ["Worker", "tune_gc"]

log = logging.getLogger("tripwire.worker")

# How long a checkpoint waits for the batches in flight before it gives up for this time
# (the next one tries again; a partition's next owner catches up from the last checkpoint).
QUIET_TIMEOUT_S = 5.0


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


class Worker:
    """State shared by the agents of one worker process: store, ingestor, monitor."""

    def __init__(self, config: WorkerConfig, monitor: Monitor | None = None) -> None:
        self.config = config
        self.store: ClickHouseStore | None = None
        self.sink: ClickHouseSink | None = None
        self.read_model: ReadModel | None = None
        self.ready = asyncio.Event()
        self.monitor = monitor or Monitor(config.monitor)
        self.ingestor = Ingestor(config.limits, enrich_llm=self.monitor.enrich_llm,
                                 store_text=config.store_text)
        self.topics: dict[str, faust.TopicT] = {}
        self.judge = _make_judge(config.judge)
        self._judge_ts: dict[str, float] = {}
        self.counters = {"batches": 0, "events": 0, "deadletter": 0, "outputs": 0}
        self.positions: dict[str, int] = {}  # "topic/partition" -> last offset fully handled
        # CPU seconds of the batch path by stage (this thread's time; the store's inserts are
        # counted by the sink, in its threads). decode_enrich: JSON decode, validation and the
        # LLM enrichment (tokens, cost, groundedness, safety)
        self.cpu = {"decode_enrich": 0.0, "admit": 0.0, "monitor": 0.0}
        self.tracker = OffsetTracker()
        self._open = asyncio.Event()  # cleared while a checkpoint takes its cut (``quiet``)
        self._open.set()
        self._in_flight = 0  # batches between the gate and their last output published
        self._idle = asyncio.Event()
        self._idle.set()
        self.checkpoints = Checkpointer(lambda: self.monitor, self.tracker, None,
                                        lambda: self.store, self._catch_up, self.ready,
                                        self.quiet)

    def use_checkpoint_topic(self, kafka: KafkaSide) -> None:
        """Write checkpoints to (and restore them from) the broker, not only the store."""
        self.checkpoints.kafka = kafka

    async def open_store(self) -> None:
        """Open the store and apply migrations (in a thread; chDB start takes ~0.4 s)."""
        loop = asyncio.get_running_loop()
        store = await loop.run_in_executor(None, ClickHouseStore, self.config.dsn)
        await loop.run_in_executor(None, store.migrate)
        self.use_store(store)
        latest = tables.reference_profiles.latest
        for row in await loop.run_in_executor(None, latest, store):
            try:
                self.monitor.set_reference(row["model"], row["model_version"],
                                           profile_from_text(row["profile"]))
            except Exception:  # a profile from an incompatible version: collect a new one
                log.exception("ignoring stored reference of %s %s", row["model"],
                              row["model_version"])
        self.ready.set()
        log.info("store ready at %s", self.config.store_label)

    def use_store(self, store: ClickHouseStore) -> None:
        """Write to and read from ``store`` (the worker opens its own; tests pass one)."""
        self.store, self.sink = store, ClickHouseSink(store)
        self.read_model = ReadModel(store)

    async def snapshot(self) -> bool:
        """Checkpoint every entity changed since its last checkpoint; True when any was."""
        if self.store is None:
            return False
        return await self.checkpoints.checkpoint() > 0

    async def set_reference(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/v1/references``: build, store and use a model's reference profile."""
        model, version = str(body.get("model") or ""), str(body.get("model_version") or "")
        columns = body.get("columns")
        if not model or not isinstance(columns, dict) or not columns:
            raise ValueError("need 'model' and 'columns' ({name: [values]})")
        loop = asyncio.get_running_loop()
        profile = await loop.run_in_executor(None, build_profile, columns)
        await self.ready.wait()
        record = {"kind": "reference", "entity": model, "model_version": version,
                  "source": "file", "ts": time.time(), "profile": profile}
        for table, rows in stored([record]).items():
            await self._write(table, rows)
        self.monitor.set_reference(model, version, profile)
        return {"model": model, "model_version": version, "columns": len(profile.columns)}

    async def handle(self, messages: list[Message]) -> None:
        """Process one batch end to end; returns only when everything is stored and
        published.

        The raw-event inserts run in threads (chDB releases the GIL) while the monitor works
        on the same batch here, so the two overlap on a multi-core machine. From the monitor
        to the last output published the batch counts as in flight: a checkpoint waits for it
        and holds new batches back while it takes its cut (:meth:`quiet`), so a saved state
        never holds an output that was not published."""
        await self.ready.wait()
        await self.checkpoints.wait_restored({partition for _, partition, _, _ in messages})
        async with self._flight():
            await self._handle(messages)

    @contextlib.asynccontextmanager
    async def _flight(self) -> AsyncIterator[None]:
        """Count the body as a batch in flight; wait first while a cut is being taken."""
        while not self._open.is_set():
            await self._open.wait()
        self._in_flight += 1  # no await since the gate: a cut cannot start in between
        self._idle.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()

    async def _handle(self, messages: list[Message]) -> None:
        clock, cpu = time.thread_time, self.cpu
        started = clock()
        result = self.ingestor.process(messages)
        records = result.records()
        decoded = clock()
        writes = [asyncio.ensure_future(self._write(table, rows))
                  for table, rows in records.items() if rows]
        try:
            fresh = self._admitted(result)
            admitted = clock()
            outputs = self.monitor.observe(fresh)
            self.tracker.settle()
            if self.judge is not None:
                self._offer_to_judge(fresh)
            cpu["monitor"] += clock() - admitted
            cpu["decode_enrich"] += decoded - started
            cpu["admit"] += admitted - decoded
        finally:
            await asyncio.gather(*writes)
        if result.deadletters:
            await self._deadletter(result.deadletters)
        if outputs:
            await self.publish(outputs)
        self.counters["batches"] += 1
        self.counters["events"] += result.event_count
        for topic, partition, offset, _ in messages:  # fully handled: stored and published
            key = f"{topic}/{partition}"
            if offset > self.positions.get(key, -1):
                self.positions[key] = offset

    @contextlib.asynccontextmanager
    async def quiet(self, timeout: float = QUIET_TIMEOUT_S) -> AsyncIterator[None]:
        """Hold new batches back and wait until no batch is in flight: inside, the monitor's
        state and the published outputs agree (a checkpoint's cut). Raises TimeoutError
        (and lets batches go on) when the batches in flight take longer than ``timeout``
        seconds, e.g. while the store is down and their writes are retried."""
        self._open.clear()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            yield
        finally:
            self._open.set()

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time of the batch path by stage, the store's inserts, and the whole process."""
        out = {k: round(v, 3) for k, v in self.cpu.items()}
        out["store"] = round(self.sink.counters["cpu_s"], 3) if self.sink else 0.0
        out["process"] = round(time.process_time(), 3)
        return out

    def _admitted(self, result: IngestResult) -> list[dict[str, Any]]:
        """The events whose entity's state does not hold them yet (see ``OffsetTracker``),
        asked once per run of one message's events of one entity (the SDK's messages carry
        one model's or app's events)."""
        admit, events, origins = self.tracker.admit, result.events, result.origins
        out: list[dict[str, Any]] = []
        i, n = 0, len(events)
        while i < n:
            origin, key = origins[i], entity_key(events[i])
            field = "app" if key[0] == "app" else "model"
            j = i + 1
            while j < n and origins[j] is origin and events[j].get(field) == key[1] and \
                    (events[j]["type"] == "llm") == (key[0] == "app"):
                j += 1
            if admit(key, *origin, events=j - i):
                out += events[i:j]
            i = j
        return out

    def _catch_up(self, messages: list[Message]) -> int:
        """Fold into the monitor what a partition's previous owner processed after its last
        checkpoint (stored and published by that owner already): state only, no outputs."""
        result = self.ingestor.process(messages)
        order = sorted(range(len(result.events)), key=lambda i: result.events[i]["ts"])
        result.events = [result.events[i] for i in order]
        result.origins = [result.origins[i] for i in order]
        fresh = self._admitted(result)
        self.monitor.observe(fresh)
        self.tracker.settle()
        return len(fresh)

    def _offer_to_judge(self, events: list[dict[str, Any]]) -> None:
        """Sampled LLM events go to the judge's queue (O(1) each; the stream never waits)."""
        assert self.judge is not None
        for event in events:
            if event["type"] == "llm" and self.judge.offer(event):
                if len(self._judge_ts) < 100_000:
                    self._judge_ts[event["event_id"]] = float(event["ts"])

    async def on_verdict(self, verdict: Any) -> None:
        """Store one judge verdict; every ``judge.window`` verdicts become a signal."""
        ts = self._judge_ts.pop(verdict.event_id, time.time())
        row = {"event_id": verdict.event_id, "ts": ts, "app": verdict.app,
               "prompt_version": verdict.prompt_version, "grounded": int(verdict.grounded),
               "score": verdict.score, "reason": verdict.reason, "cost_usd": verdict.cost_usd,
               "latency_ms": verdict.latency_ms, "model": verdict.model}
        if self.sink is not None:
            await self._write(tables.llm_judgements.TABLE, [row])
        async with self._flight():
            outputs = self.monitor.observe_verdict(row)
            if outputs:
                await self.publish(outputs)
        self.counters["verdicts"] = self.counters.get("verdicts", 0) + 1  # stored and published

    async def publish(self, outputs: list[dict[str, Any]]) -> None:
        """Send monitor outputs (signals, alerts, triggers) to their topics, then store them."""
        for record in outputs:  # references (profiles) are stored only, not published
            topic = self.topics.get(names.OUTPUT_BY_KIND.get(record.get("kind", "signal"), ""))
            if topic is not None:
                await topic.send(key=str(record.get("entity", "")).encode(),
                                 value=_dumps(record))
        for table, rows in stored(outputs).items():
            await self._write(table, rows)
        self.counters["outputs"] += len(outputs)

    async def _write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Store a batch through the sink (retried while the store fails transiently)."""
        if rows:
            assert self.sink is not None
            await self.sink.write_async(table, rows)

    async def _deadletter(self, records: list[dict[str, Any]]) -> None:
        """Dead letters to their topic (docs/contracts.md) and their table."""
        topic = self.topics.get(names.DEADLETTER)
        for record in records:
            log.warning("dead letter %s:%s:%s: %s", record["source_topic"],
                        record["partition"], record["offset"], record["reason"])
            if topic is not None:
                await topic.send(key=record["source_topic"].encode(), value=_dumps(record))
        await self._write(tables.deadletter.TABLE, records)
        self.counters["deadletter"] += len(records)


def tune_gc() -> None:
    """Garbage-collector settings for the worker process, called once everything is imported.

    Every event allocates dicts and lists, so with CPython's default gen-0 threshold (700) the
    collector runs every few dozen events and walks the young objects each time. Freezing what
    start-up allocated (modules, Faust, the monitor's config) and a gen-0 threshold of 20,000
    cut the worker's CPU per event by ~15% (drain of a 200k-prediction backlog: 28.9-35.3 vs
    36.9-41.3 us/event CPU; 20k LLM events: 381-402 vs 410-481 us/event, alternating runs).
    Full collections keep their default cadence, so reference cycles are still reclaimed."""
    gc.freeze()
    gc.set_threshold(20_000, 20, 10)


def _make_judge(j: JudgeConfig | None) -> Any:
    """The optional LLM judge (``judge.enabled``), or None."""
    if j is None:
        return None
    from streams.judge import LLMJudge

    return LLMJudge(j.base_url, j.model, j.api_key, sample_rate=j.sample_rate,
                    daily_budget_usd=j.daily_budget_usd, timeout_s=j.timeout_s,
                    max_concurrency=j.max_concurrency, max_queue=j.max_queue,
                    input_per_mtok=j.input_per_mtok, output_per_mtok=j.output_per_mtok,
                    allow_http=j.allow_http)
