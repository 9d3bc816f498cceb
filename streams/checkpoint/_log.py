"""The checkpoint topic: each entity's latest state, on the partition that owns the entity.

Layout of ``tripwire.checkpoints`` (compacted; as many partitions as the input topics; an
entity's records go to the partition number of its input events):

* ``e/<kind>/<name>`` -> the entity's checkpoint bytes (``_codec``), or, when larger than
  ``CHUNK_BYTES``, a small header ``{"chunked": {"gen", "n", "size"}}`` whose parts are the
  records ``c/<kind>/<name>/<gen>/<i>``, written before the header. The parts of the previous
  generation are deleted (tombstones) once a newer header is acknowledged, so compaction
  never removes parts a live header still needs.
* ``p/<partition>`` -> the partition marker ``{"offsets": {topic: offset}, "taken": ts}``:
  every event at or below these offsets (of this partition) is in the entity records written
  before it. A worker taking the partition over re-reads only what follows the marker.

Reading a partition yields the latest value per key (what compaction would keep).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from streams.checkpoint._codec import decode, encode

__all__ = ["CHUNK_BYTES", "PartitionCheckpoint", "chunk_tombstones", "committed_offsets",
           "entity_key_text", "parse_partition", "read_partition", "read_range", "records_for"]

log = logging.getLogger("tripwire.checkpoint")

CHUNK_BYTES = 512 * 1024  # below Kafka's default 1 MB message limit, with room for headers

Send = Callable[[bytes, bytes | None], Awaitable[Any]]  # (key, value or None) -> acked


def entity_key_text(kind: str, name: str) -> str:
    return f"e/{kind}/{name}"


@dataclass
class PartitionCheckpoint:
    """What a checkpoint partition holds: entity records (decoded) and the marker."""

    entities: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    generations: dict[tuple[str, str], int] = field(default_factory=dict)  # of chunked ones
    marker: dict[str, Any] | None = None
    broken: list[str] = field(default_factory=list)  # keys whose record could not be read

    @property
    def empty(self) -> bool:
        return not self.entities and self.marker is None


def records_for(kind: str, name: str, data: bytes, gen: int) -> list[tuple[bytes, bytes]]:
    """(key, value) records that store ``data`` for one entity: one record, or the parts of
    generation ``gen`` followed by their header."""
    key = entity_key_text(kind, name)
    if len(data) <= CHUNK_BYTES:
        return [(key.encode(), data)]
    parts = [data[i:i + CHUNK_BYTES] for i in range(0, len(data), CHUNK_BYTES)]
    out = [(f"c/{kind}/{name}/{gen}/{i}".encode(), part) for i, part in enumerate(parts)]
    header = encode({"chunked": {"gen": gen, "n": len(parts), "size": len(data)}})
    return out + [(key.encode(), header)]


def chunk_tombstones(kind: str, name: str, gen: int, n: int) -> list[bytes]:
    """Keys of the parts of an older generation, to delete."""
    return [f"c/{kind}/{name}/{gen}/{i}".encode() for i in range(n)]


def parse_partition(latest: dict[bytes, bytes | None]) -> PartitionCheckpoint:
    """Decode the latest value per key of one checkpoint partition."""
    out = PartitionCheckpoint()
    chunks = {k: v for k, v in latest.items() if k.startswith(b"c/") and v is not None}
    for raw_key, value in latest.items():
        key = raw_key.decode("utf-8", "replace")
        if value is None or key.startswith("c/"):
            continue
        try:
            if key.startswith("p/"):
                out.marker = decode(value)
                continue
            _, kind, name = key.split("/", 2)
            record = decode(value)
            if "chunked" in record:
                spec = record["chunked"]
                parts = [chunks.get(f"c/{kind}/{name}/{spec['gen']}/{i}".encode())
                         for i in range(spec["n"])]
                if any(p is None for p in parts):
                    raise ValueError(f"parts of generation {spec['gen']} are missing")
                record = decode(b"".join(parts))  # type: ignore[arg-type]
                out.generations[(kind, name)] = spec["gen"]
            out.entities[(kind, name)] = record
        except (ValueError, KeyError) as exc:
            log.error("checkpoint record %s cannot be read (%s): that entity starts fresh",
                      key, exc)
            out.broken.append(key)
    return out


async def read_partition(bootstrap: str, topic: str, partition: int,
                         timeout_s: float = 30.0) -> dict[bytes, bytes | None]:
    """The latest value per key of one partition, read from its start to its current end."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                group_id=None, auto_offset_reset="earliest",
                                max_partition_fetch_bytes=8 * 1024 * 1024)
    await consumer.start()
    latest: dict[bytes, bytes | None] = {}
    try:
        consumer.assign([tp])
        end = (await consumer.end_offsets([tp]))[tp]
        await consumer.seek_to_beginning(tp)
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=int(timeout_s * 1000))
            if not batch:
                raise TimeoutError(f"reading {topic}[{partition}] stalled before offset {end}")
            for message in batch[tp]:
                if message.key is not None:
                    latest[message.key] = message.value
    finally:
        await consumer.stop()
    return latest


async def read_range(bootstrap: str, topic: str, partition: int, start: int | None,
                     end: int, timeout_s: float = 30.0) -> list[tuple[int, bytes]]:
    """(offset, value) of the messages of one partition in ``[start, end)``; ``start=None``
    means from the earliest offset still held."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    tp = TopicPartition(topic, partition)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    out: list[tuple[int, bytes]] = []
    try:
        consumer.assign([tp])
        if start is None:
            await consumer.seek_to_beginning(tp)
        else:
            consumer.seek(tp, start)
        while await consumer.position(tp) < end:
            batch = await consumer.getmany(tp, timeout_ms=int(timeout_s * 1000))
            if not batch:
                raise TimeoutError(f"reading {topic}[{partition}] stalled before offset {end}")
            out += [(m.offset, m.value) for m in batch[tp] if m.offset < end]
    finally:
        await consumer.stop()
    return out


def committed_offsets(bootstrap: str, group_id: str) -> dict[tuple[str, int], int]:
    """The consumer group's committed offsets, ``{(topic, partition): next offset}`` (blocking;
    run it in a thread). Reading them does not join the group."""
    from kafka.admin import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="tripwire-checkpoint",
                             request_timeout_ms=10_000)
    try:
        offsets = admin.list_group_offsets({group_id: None}).get(group_id, {})
    finally:
        admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()
            if meta.offset is not None and meta.offset >= 0}
