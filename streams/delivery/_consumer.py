"""The Kafka side of the delivery consumer: poll, commit what is finished, pause when full."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sinks.webhooks import DeliveryLog, Destination, Route

from ._pipeline import TOPICS, DeliveryPipeline

__all__ = ["run_delivery"]

log = logging.getLogger("tripwire.delivery")


async def _commit(consumer: Any, pipeline: DeliveryPipeline) -> None:
    from aiokafka.structs import TopicPartition

    offsets = pipeline.tracker.committable()
    if offsets:
        await consumer.commit({TopicPartition(t, p): o for (t, p), o in offsets.items()})
        pipeline.tracker.mark_committed(offsets)


def _flow_control(consumer: Any, pipeline: DeliveryPipeline, max_pending: int) -> None:
    parts = consumer.assignment()
    if pipeline.tracker.in_flight >= max_pending:
        consumer.pause(*parts)
    elif pipeline.tracker.in_flight <= max_pending // 2 and consumer.paused():
        consumer.resume(*parts)


def _listener(consumer: Any, pipeline: DeliveryPipeline) -> Any:
    from aiokafka.abc import ConsumerRebalanceListener

    class _Rebalance(ConsumerRebalanceListener):
        async def on_partitions_revoked(self, revoked: Any) -> None:
            try:
                await _commit(consumer, pipeline)
            except Exception as exc:
                log.warning("commit on revoke failed: %s", type(exc).__name__)
            pipeline.tracker.forget((tp.topic, tp.partition) for tp in revoked)

        async def on_partitions_assigned(self, assigned: Any) -> None:
            return None

    return _Rebalance()


async def run_delivery(
    bootstrap: str,
    destinations: Mapping[str, Destination] | Iterable[Destination],
    routes: Iterable[Route],
    log: DeliveryLog,
    *,
    group_id: str = "tripwire-delivery",
    stop_event: asyncio.Event | None = None,
    topics: Iterable[str] = TOPICS,
    on_dead_letter: Callable[[dict], Any] | None = None,
    max_pending: int = 1000,
    poll_timeout_ms: int = 500,
    drain_timeout_s: float = 10.0,
    consumer: Any = None,
) -> None:
    """Consume alerts and triggers and deliver them until `stop_event` is set."""
    if consumer is None:
        from aiokafka import AIOKafkaConsumer

        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
    stop_event = stop_event or asyncio.Event()
    pipeline = DeliveryPipeline(destinations, routes, log, on_dead_letter=on_dead_letter)
    consumer.subscribe(list(topics), listener=_listener(consumer, pipeline))
    await consumer.start()
    graceful = False
    try:
        while not stop_event.is_set():
            await _step(consumer, pipeline, poll_timeout_ms, max_pending)
        graceful = True
    finally:  # a stop drains in-flight deliveries; a cancellation abandons them
        await pipeline.close(drain_timeout_s if graceful else 0.0)
        await _commit(consumer, pipeline)
        await consumer.stop()


async def _step(consumer: Any, pipeline: DeliveryPipeline, poll_ms: int, max_pending: int) -> None:
    """Poll once, offer the records, start due deliveries, commit what is finished."""
    batches = await consumer.getmany(timeout_ms=poll_ms, max_records=500)
    for msgs in batches.values():
        for m in msgs:
            pipeline.handle(m.topic, m.partition, m.offset, m.value)
    pipeline.tick()
    await asyncio.sleep(0)  # let finished deliveries report before committing
    await _commit(consumer, pipeline)
    _flow_control(consumer, pipeline, max_pending)
