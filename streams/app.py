"""The Faust worker: input topics → validation → store, monitor → signals/alerts/triggers.

One agent per input topic drains batches with ``take_events`` (Faust acks a batch only after
the loop body returned, so a crash replays it: at-least-once), hands the raw bytes to
:class:`~streams.ingest.Ingestor`, writes rows to ClickHouse in a thread, and feeds the valid
events to the monitor, whose outputs go to their topics first and the store second.
Agent concurrency stays 1 (faust-streaming issue 606).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import faust
import orjson
from tripwire_sdk import names

from sinks.clickhouse import tables
from streams._faust import adjust_consumer
from streams.api import _authorized, install_api, install_post
from streams.checkpoint import KafkaSide
from streams.config import WorkerConfig
from streams.otlp import OtlpIngest, install_otlp
from streams.worker import Worker

if TYPE_CHECKING:
    from mode.types.signals import SignalHandlerT

__all__ = ["create_app", "Worker"]

log = logging.getLogger("tripwire.worker")

_OUTPUT_TOPICS = (*names.OUTPUT_BY_KIND.values(), names.DEADLETTER)


def create_app(config: WorkerConfig, worker: Worker | None = None) -> tuple[faust.App, Worker]:
    """Assemble the Faust app for ``config``; returns the app and its shared state.

    The entry point builds ``config`` from its settings (``tripwire.app.create_app``)."""
    app = faust.App(
        "tripwire",
        broker=f"kafka://{config.bootstrap}",
        store="memory://",
        autodiscover=False,
        topic_partitions=config.partitions,
        topic_allow_declare=True,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=10.0,
        broker_heartbeat_interval=1.0,
        broker_rebalance_timeout=5.0,
        broker_commit_every=1000,
        broker_commit_interval=1.0,
        producer_acks=-1,
        web_enabled=True,
        web_bind=config.api_host,
        web_host=config.api_host,
        web_port=config.api_port,
        web_in_thread=False,
        stream_wait_empty=False,
        # No Faust tables (state moves through streams.checkpoint), so no standbys: with the
        # default of 1, Faust's sticky assignor lets a joining worker idle while others keep
        # ceil(partitions / workers) each. See streams._faust for the assignor.
        table_standby_replicas=0,
    )
    adjust_consumer()
    worker = worker or Worker(config)
    for name in _OUTPUT_TOPICS:
        worker.topics[name] = app.topic(name, value_serializer="raw", key_serializer="raw",
                                        partitions=config.partitions)
    for name in names.INPUT:
        topic = app.topic(name, value_serializer="raw", key_serializer="raw",
                          partitions=config.partitions)
        app.agent(topic, name=f"ingest-{name.split('.')[-1]}", concurrency=1)(
            _ingest_agent(worker, config))
    _follow_partitions(app, worker, config)

    deliveries = app.topic(names.DELIVERIES, value_serializer="raw", key_serializer="raw",
                           partitions=config.partitions)
    app.agent(deliveries, name="store-deliveries", concurrency=1)(_deliveries_agent(worker))
    golden = app.topic(names.GOLDEN, value_serializer="raw", key_serializer="raw",
                       partitions=config.partitions)
    app.agent(golden, name="store-golden", concurrency=1)(_golden_agent(worker))

    @app.task
    async def _open_store() -> None:
        await worker.open_store()

    if worker.judge is not None:
        judge = worker.judge

        @app.task
        async def _judge() -> None:
            await worker.ready.wait()
            await judge.run(worker.on_verdict)

    if config.snapshot_interval_s:
        @app.timer(interval=config.snapshot_interval_s)
        async def _snapshot() -> None:
            try:
                await worker.snapshot()
            except Exception:  # the next interval tries again; nothing is lost meanwhile
                log.exception("monitor checkpoint failed")

        @app.on_before_shutdown.connect
        @_handler
        async def _final_snapshot(sender: Any, **kwargs: Any) -> None:
            # The consumer has stopped: the state holds everything this worker processed.
            try:
                await worker.snapshot()
            except Exception:
                log.exception("final monitor checkpoint failed")

    @app.timer(interval=5.0)
    async def _progress() -> None:
        log.info("worker: %(events)d events, %(deadletter)d dead letters, "
                 "%(outputs)d signals/alerts/triggers, %(batches)d batches", worker.counters)

    token = config.api_token
    otlp = _otlp(app, worker, config)
    install_otlp(app, otlp, lambda: worker.read_model is not None,
                 lambda request: _authorized(request, token))
    install_api(app, lambda: worker.read_model, token,
                extra={"state": lambda rm, q: {**worker.checkpoints.summary(),
                                               "counters": dict(worker.counters),
                                               "cpu_seconds": worker.cpu_seconds(),
                                               "positions": dict(worker.positions)},
                       "otlp": lambda rm, q: dict(otlp.counters)})
    install_post(app, "references", worker.set_reference, token)
    return app, worker


def _follow_partitions(app: faust.App, worker: Worker, config: WorkerConfig) -> None:
    """Entity state follows the input partitions: checkpoints go to the checkpoint topic on
    the entity's partition; revoked partitions are checkpointed, newly assigned ones restored
    before their events are processed (``streams.checkpoint``)."""
    checkpoints = app.topic(names.CHECKPOINTS, value_serializer="raw", key_serializer="raw",
                            partitions=config.partitions)

    async def send(key: bytes, value: bytes | None, partition: int) -> Any:
        return await checkpoints.send(key=key, value=value, partition=partition)

    worker.use_checkpoint_topic(KafkaSide(config.bootstrap, names.CHECKPOINTS, names.INPUT,
                                          app.conf.id, send))

    def partitions(tps: Any) -> set[int]:
        return {tp.partition for tp in tps if tp.topic in names.INPUT}

    @app.on_partitions_revoked.connect
    @_handler
    async def _revoked(sender: Any, revoked: Any, **kwargs: Any) -> None:
        await worker.checkpoints.revoked(partitions(revoked))

    @app.on_partitions_assigned.connect
    @_handler
    async def _assigned(sender: Any, assigned: Any, **kwargs: Any) -> None:
        by_topic = {t: {tp.partition for tp in assigned if tp.topic == t} for t in names.INPUT}
        if len({frozenset(p) for p in by_topic.values()}) > 1:
            log.error("input topics are not co-partitioned on this worker (%s): a model's "
                      "labels may reach another worker than its predictions", by_topic)
        log.info("assigned input partitions %s", sorted(partitions(assigned)))
        worker.checkpoints.assigned(partitions(assigned))


def _handler(fun: Callable[..., Awaitable[None]]) -> SignalHandlerT:
    """``fun`` as a mode signal handler (the same object). mode types handlers as
    ``(sender, /, *args, signal=..., **kwargs)``; ours name the positional argument the signal
    sends (``revoked``, ``assigned``) or take none: the same calls at run time, but not a
    type mypy can match."""
    return cast("SignalHandlerT", fun)


def _otlp(app: faust.App, worker: Worker, config: WorkerConfig) -> OtlpIngest:
    """The OTLP ingest, producing to ``tripwire.llm`` and waiting for each acknowledgement."""
    llm = app.topic(names.LLM, value_serializer="raw", key_serializer="raw",
                    partitions=config.partitions)

    async def send(key: bytes, value: bytes) -> None:
        await (await llm.send(key=key, value=value))

    return OtlpIngest(send, worker._deadletter)


_GOLDEN_REQUIRED = ("run_id", "ts", "app", "prompt_version", "passed", "n_cases")


def _golden_agent(worker: Worker) -> Any:
    """Golden-set run records (``tripwire golden run``) into ``golden_runs``; a record that
    is not one goes to the dead letters."""
    async def store_golden(stream: faust.Stream) -> Any:
        async for events in stream.take_events(100, within=1.0):
            rows, bad = [], []
            for event in events:
                m = event.message
                try:
                    record = orjson.loads(event.value)
                    missing = [k for k in _GOLDEN_REQUIRED if k not in record]
                    if record.get("kind") != "golden" or missing:
                        raise ValueError(f"not a golden record (kind {record.get('kind')!r}, "
                                         f"missing {missing})")
                    rows.append(tables.golden_runs.record(record))
                except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as exc:
                    bad.append(tables.deadletter.record(
                        m.topic, m.partition, m.offset, 0, str(exc), bytes(event.value or b""),
                        time.time()))
            await worker.ready.wait()
            await worker._write(tables.golden_runs.TABLE, rows)
            if bad:
                await worker._deadletter(bad)
    return store_golden


def _deliveries_agent(worker: Worker) -> Any:
    """Webhook delivery attempts (from ``tripwire deliver``) into ``webhook_deliveries``."""
    async def store_deliveries(stream: faust.Stream) -> Any:
        async for events in stream.take_events(1000, within=1.0):
            rows = []
            for event in events:
                try:
                    rows.append(orjson.loads(event.value))
                except orjson.JSONDecodeError:
                    log.warning("skipping undecodable delivery row at offset %s",
                                event.message.offset)
            await worker.ready.wait()
            await worker._write(tables.webhook_deliveries.TABLE, rows)
    return store_deliveries


def _ingest_agent(worker: Worker, config: WorkerConfig) -> Any:
    async def ingest(stream: faust.Stream) -> Any:
        async for events in stream.take_events(config.ingest_batch,
                                               within=config.ingest_within_s):
            messages = [(e.message.topic, e.message.partition, e.message.offset, e.value)
                        for e in events]
            started = time.perf_counter()
            await worker.handle(messages)
            log.debug("batch of %d messages in %.1f ms", len(messages),
                      (time.perf_counter() - started) * 1e3)
    return ingest
