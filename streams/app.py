"""The Faust worker: input topics → validation → store, monitor → signals/alerts/triggers.

One agent per input topic drains batches with ``take_events`` (Faust acks a batch only after
the loop body returned, so a crash replays it: at-least-once), hands the raw bytes to
:class:`~streams.ingest.Ingestor`, writes rows to ClickHouse in a thread, and feeds the valid
events to the monitor, whose outputs go to their topics first and the store second.
Agent concurrency stays 1 (faust-streaming issue 606).
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
import orjson
from tripwire_sdk.events import Limits as EventLimits

from sinks.clickhouse import ClickHouseStore, ReadModel, StoreError
from streams.api import install_api
from streams.ingest import Ingestor, Message
from streams.monitor import Monitor
from tripwire.settings import Settings

__all__ = ["create_app", "Worker", "INPUT_TOPICS", "OUTPUT_TOPICS"]

log = logging.getLogger("tripwire.worker")

INPUT_TOPICS = ("tripwire.predictions", "tripwire.labels", "tripwire.llm")
OUTPUT_TOPICS = ("tripwire.signals", "tripwire.alerts", "tripwire.triggers", "tripwire.deadletter")
_OUTPUT_TABLE = {"signal": "signals", "alert": "alerts", "trigger": "triggers"}
_OUTPUT_TOPIC = {"signal": "tripwire.signals", "alert": "tripwire.alerts",
                 "trigger": "tripwire.triggers"}


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


class Worker:
    """State shared by the agents of one worker process: store, ingestor, monitor."""

    def __init__(self, settings: Settings, monitor: Monitor | None = None) -> None:
        self.settings = settings
        self.store: ClickHouseStore | None = None
        self.read_model: ReadModel | None = None
        self.ready = asyncio.Event()
        self.monitor = monitor or Monitor.from_settings(settings)
        self.ingestor = Ingestor(EventLimits(**settings.limits.model_dump()),
                                 enrich_llm=self.monitor.enrich_llm,
                                 store_text=settings.store_text)
        self.topics: dict[str, faust.TopicT] = {}
        self.counters = {"batches": 0, "events": 0, "deadletter": 0, "outputs": 0}

    async def open_store(self) -> None:
        """Open the store and apply migrations (in a thread; chDB start takes ~0.4 s)."""
        loop = asyncio.get_running_loop()
        store = await loop.run_in_executor(None, ClickHouseStore, self.settings.dsn)
        await loop.run_in_executor(None, store.migrate)
        self.store, self.read_model = store, ReadModel(store)
        self.ready.set()
        log.info("store ready at %s", self.settings.masked()["clickhouse_dsn"] or "chdb")

    async def handle(self, messages: list[Message]) -> None:
        """Process one batch end to end; returns only when everything is stored."""
        await self.ready.wait()
        result = self.ingestor.process(messages)
        for table, rows in result.rows.items():
            await self._write_rows(table, rows)
        if result.deadletters:
            await self._deadletter(result.deadletters)
        outputs = self.monitor.observe(result.events)
        if outputs:
            await self.publish(outputs)
        self.counters["batches"] += 1
        self.counters["events"] += result.event_count

    async def publish(self, outputs: list[dict[str, Any]]) -> None:
        """Send monitor outputs (signals, alerts, triggers) to their topics, then store them."""
        by_table: dict[str, list[dict[str, Any]]] = {}
        for record in outputs:
            kind = record.get("kind", "signal")
            topic = self.topics.get(_OUTPUT_TOPIC[kind])
            if topic is not None:
                await topic.send(key=str(record.get("entity", "")).encode(),
                                 value=_dumps(record))
            by_table.setdefault(_OUTPUT_TABLE[kind], []).append(record)
        store = self.store
        assert store is not None
        for table, rows in by_table.items():
            await self._retry(lambda t=table, r=rows: store.write(t, r), table, len(rows))
        self.counters["outputs"] += len(outputs)

    async def _write_rows(self, table: str, rows: list[list[Any]]) -> None:
        if rows:
            assert self.store is not None
            store = self.store
            await self._retry(lambda: store.write_rows(table, rows), table, len(rows))

    async def _retry(self, write: Any, table: str, n: int) -> None:
        """Run a store write in a thread until it succeeds: the stream waits, nothing is lost."""
        loop = asyncio.get_running_loop()
        delay = 0.5
        while True:
            try:
                await loop.run_in_executor(None, write)
                return
            except StoreError as exc:
                log.error("store write of %d rows to %s failed, retrying in %.1fs: %s",
                          n, table, delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def _deadletter(self, rows: list[list[Any]]) -> None:
        topic = self.topics.get("tripwire.deadletter")
        for row in rows:
            _id, ts, source, partition, offset, reason, original = row
            log.warning("dead letter %s:%s:%s: %s", source, partition, offset, reason)
            if topic is not None:
                await topic.send(key=source.encode(), value=_dumps({
                    "reason": reason, "source_topic": source, "partition": partition,
                    "offset": offset, "ts": ts, "original": original}))
        await self._write_rows("deadletter", rows)
        self.counters["deadletter"] += len(rows)


def create_app(settings: Settings, worker: Worker | None = None) -> tuple[faust.App, Worker]:
    """Assemble the Faust app for ``settings``; returns the app and its shared state."""
    app = faust.App(
        "tripwire",
        broker=f"kafka://{settings.bootstrap}",
        store="memory://",
        autodiscover=False,
        topic_partitions=settings.partitions,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
        broker_rebalance_timeout=5.0,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        producer_acks=-1,
        web_enabled=True,
        web_bind=settings.api_host,
        web_host=settings.api_host,
        web_port=settings.api_port,
        web_in_thread=False,
        stream_wait_empty=False,
    )
    worker = worker or Worker(settings)
    for name in OUTPUT_TOPICS:
        worker.topics[name] = app.topic(name, value_serializer="raw", key_serializer="raw",
                                        partitions=settings.partitions)
    for name in INPUT_TOPICS:
        topic = app.topic(name, value_serializer="raw", key_serializer="raw",
                          partitions=settings.partitions)
        app.agent(topic, name=f"ingest-{name.split('.')[-1]}", concurrency=1)(
            _ingest_agent(worker, settings))

    @app.task
    async def _open_store() -> None:
        await worker.open_store()

    @app.timer(interval=5.0)
    async def _progress() -> None:
        log.info("worker: %(events)d events, %(deadletter)d dead letters, "
                 "%(outputs)d signals/alerts/triggers, %(batches)d batches", worker.counters)

    token = settings.api_token.get_secret_value() if settings.api_token else None
    install_api(app, lambda: worker.read_model, token)
    return app, worker


def _ingest_agent(worker: Worker, settings: Settings) -> Any:
    async def ingest(stream: faust.StreamT) -> Any:
        async for events in stream.take_events(settings.ingest_batch,
                                               within=settings.ingest_within_s):
            messages = [(e.message.topic, e.message.partition, e.message.offset, e.value)
                        for e in events]
            started = time.perf_counter()
            await worker.handle(messages)
            log.debug("batch of %d messages in %.1f ms", len(messages),
                      (time.perf_counter() - started) * 1e3)
    return ingest
